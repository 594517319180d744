package dev.ggufserver.nativelib;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one change {@code native build} makes to its copy of the binding's sources: the binding's JNI functions wait
 * for llama.cpp's results with {@code server_response::recv}, which sleeps only while the result queue is empty and
 * spins, taking and releasing the queue's lock, while it holds another task's result. With several streams every
 * waiting thread spins at every decode step until each other stream's thread has taken its result, on the cores
 * the decode threads need, and the decode loop waits for the lock they hammer (four streams on two cores: 3.4 ms
 * of CPU per token, see docs/PERFORMANCE.md). llama-server's own HTTP threads wait with {@code recv_with_timeout},
 * which sleeps until the next result whatever task it is for; the copy is made to wait the same way. The bundled
 * library cannot be changed and keeps the spinning wait.
 */
final class BindingPatch {
    private static final String FILE = "src/main/cpp/jllama.cpp";
    private static final String INCLUDE = "#include \"server.hpp\"\n";
    private static final String SPINNING_SINGLE = "ctx_server->queue_results.recv(id_task)";
    private static final String SPINNING_SET = "ctx_server->queue_results.recv(task_ids)";
    private static final String SLEEPING_WAIT = """

            // gguf-server: wait for a result asleep, as llama-server's HTTP threads do; server_response::recv spins
            // while the queue holds another task's result (gguf-server's docs/PERFORMANCE.md)
            static server_task_result_ptr gguf_server_wait_for_result(server_response &results,
                                                                     const std::unordered_set<int> &id_tasks) {
                server_task_result_ptr result;
                while (result == nullptr) {
                    result = results.recv_with_timeout(id_tasks, 1);
                }
                return result;
            }
            """;

    private BindingPatch() {
    }

    /**
     * Changes the copy in {@code tree}; fails, naming the file, when it is not the code this change was written for
     * (a binding version the pins do not name).
     */
    static void apply(Path tree) throws IOException {
        Path file = tree.resolve(FILE);
        String source = Files.readString(file, StandardCharsets.UTF_8);
        int include = source.indexOf(INCLUDE);
        if (include < 0 || !source.contains(SPINNING_SINGLE)) {
            throw new IOException(file + " is not the binding code this build knows (no " + INCLUDE.strip()
                    + " or no " + SPINNING_SINGLE + ")");
        }
        int afterInclude = include + INCLUDE.length();
        String patched = source.substring(0, afterInclude) + SLEEPING_WAIT + source.substring(afterInclude)
                .replace(SPINNING_SINGLE, "gguf_server_wait_for_result(ctx_server->queue_results, {id_task})")
                .replace(SPINNING_SET, "gguf_server_wait_for_result(ctx_server->queue_results, task_ids)");
        if (patched.contains("queue_results.recv(")) {
            throw new IOException(file + " waits for results in a way this build does not know: "
                    + patched.substring(patched.indexOf("queue_results.recv(")).lines().findFirst().orElse(""));
        }
        Files.writeString(file, patched, StandardCharsets.UTF_8);
    }
}
