package dev.ggufserver.nativelib;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one change {@code native build} makes to its copy of llama.cpp: the AMX matrix kernels keep their tile
 * buffers in {@code static thread_local} arrays declared without an alignment, at offsets 16 bytes past a cache
 * line inside the thread-local block. In a static executable such as llama-server that block ends at the thread
 * pointer, so every thread's buffers happen to start on a cache line; in a shared library loaded at run time (the
 * binding's, in a JVM) each thread's block is allocated with 16-byte alignment wherever the allocator puts it, so
 * in most threads every 64-byte tile row straddles two cache lines. The decode threads then run at different
 * speeds (one did 38 % more kernel samples for the same share of the work while the other waited at the barriers;
 * four streams 0.85× of llama-server's), and which thread is slow changes from run to run. Declaring each buffer
 * {@code alignas(64)} makes the library's thread-local block 64-byte aligned and every buffer start on a line in
 * every thread (docs/PERFORMANCE.md).
 *
 * <p>The copy has no git history, so llama.cpp's own log says "build: 0 (unknown)"; the manifest records the
 * commit that was checked.
 */
final class LlamaCppPatch {
    private static final String FILE = "ggml/src/ggml-cpu/amx/mmq.cpp";
    private static final Pattern DECLARATION = Pattern.compile("(?m)^(\\s*)static thread_local ");
    private static final String ALIGNED = "alignas(64) static thread_local ";

    private LlamaCppPatch() {
    }

    /**
     * Changes the copy in {@code tree}; fails, naming the file, when it is not the code this change was written for
     * (a llama.cpp commit the pins do not name).
     */
    static void apply(Path tree) throws IOException {
        Path file = tree.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("llama.cpp has no " + FILE + " (not the llama.cpp code this build knows)");
        }
        String source = Files.readString(file, StandardCharsets.UTF_8);
        Matcher declarations = DECLARATION.matcher(source);
        if (!declarations.find()) {
            throw new IOException(file + " is not the llama.cpp code this build knows (no static thread_local "
                    + "tile buffers)");
        }
        String patched = declarations.replaceAll(m -> Matcher.quoteReplacement(m.group(1) + ALIGNED));
        for (int at = patched.indexOf("thread_local"); at >= 0; at = patched.indexOf("thread_local", at + 1)) {
            if (!patched.startsWith(ALIGNED, at - "alignas(64) static ".length())) {
                throw new IOException(file + " declares thread-local data in a way this build does not know: "
                        + patched.substring(patched.lastIndexOf('\n', at) + 1).lines().findFirst().orElse("").strip());
            }
        }
        Files.writeString(file, patched, StandardCharsets.UTF_8);
    }
}
