package dev.ggufserver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserver.support.FileHost;
import dev.ggufserver.support.Http;
import dev.ggufserver.testmodel.TinyModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar as a user runs it: options, environment variables, exit codes, one-line errors. */
class CommandLineIT {
    private static final Path JAR = Path.of(System.getProperty("gguf-server.jar", "target/gguf-server.jar"));
    private static final Pattern LISTENING = Pattern.compile("Listening on http://127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    private record Result(int exitCode, String stdout, String stderr) {
    }

    private static List<String> command(String... args) {
        assertThat(JAR).as("the packaged jar (mvn package) must exist").exists();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", JAR.toString()));
        command.addAll(List.of(args));
        return command;
    }

    private static Result run(Map<String, String> env, String... args) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command(args));
        builder.environment().putAll(env);
        Process p = builder.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exits").isTrue();
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static Result run(String... args) throws Exception {
        return run(Map.of(), args);
    }

    @Test
    void helpAndVersionExitZero() throws Exception {
        Result help = run("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.stdout()).contains("--model", "--ctx-size", "--parallel", "--reasoning-format",
                "--tool-format", "--reasoning-budget-medium", "GGUF_SERVER_PORT");

        Result version = run("--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.stdout()).startsWith("gguf-server ").contains("b4916");
    }

    @Test
    void badOptionsAndBadModelFilesAreOneLineAndExitCodeTwo() throws Exception {
        Path notGguf = dir.resolve("notes.gguf");
        Files.writeString(notGguf, "these are not weights");
        Map<String, String> cases = Map.of(
                "--bogus", "Unknown option",
                "--port=70000 --model=x.gguf", "--port must be between 0 and 65535",
                "--reasoning-format=loud --model=x.gguf", "--reasoning-format must be deepseek or none",
                "--tool-format=yaml --model=x.gguf", "--tool-format must be auto, deepseek-r1, hermes",
                "--reasoning-budget-low=-2 --model=x.gguf", "take a number of tokens, 0 (no thinking) or -1",
                "--parallel=abc --model=x.gguf", "--parallel",
                "--model=" + dir.resolve("missing.gguf"), "model file not found",
                "--model=" + dir, "not a file",
                "--model=" + notGguf, "invalid model file",
                "--max-model-bytes=0 --model=" + notGguf, "--max-model-bytes must be at least 1");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Result r = run(c.getKey().split(" "));
            assertThat(r.exitCode()).as(c.getKey()).isEqualTo(2);
            assertThat(r.stderr().strip()).as(c.getKey()).startsWith("gguf-server: ").contains(c.getValue())
                    .doesNotContain("\n").doesNotContain("Exception");
        }
    }

    @Test
    void pullListAndRmRoundTripAgainstAModelHost() throws Exception {
        Path models = dir.resolve("models");
        try (FileHost host = new FileHost().file("tiny-r1.gguf", TinyModel.build(TinyModel.officialTemplate()))) {
            Map<String, String> env = Map.of("HF_ENDPOINT", host.endpoint());

            Result pull = run(env, "pull", "hf:someone/tiny/tiny-r1.gguf", "--models-dir", models.toString());
            assertThat(pull.exitCode()).as(pull.stderr()).isZero();
            assertThat(pull.stderr()).contains("Downloading tiny-r1.gguf");
            assertThat(models.resolve("tiny-r1.gguf")).exists();

            Result list = run(env, "list", "--models-dir", models.toString());
            assertThat(list.exitCode()).isZero();
            assertThat(list.stdout()).contains("NAME").contains("ARCH");
            assertThat(list.stdout().lines().filter(l -> l.startsWith("tiny-r1.gguf")).findFirst().orElseThrow())
                    .contains("qwen2").contains("F32").contains("4096")
                    .contains(String.format(java.util.Locale.ROOT, "%.1fK", dev.ggufserver.models.GgufReader
                            .read(dev.ggufserver.support.RealServers.tinyModel()).parameterCount() / 1000.0));

            Result again = run(Map.of("HF_ENDPOINT", "http://127.0.0.1:9"), "pull", "hf:someone/tiny/tiny-r1.gguf",
                    "--models-dir", models.toString());
            assertThat(again.exitCode()).as("a model already there needs no network").isZero();

            Result rm = run(env, "rm", "tiny-r1", "--models-dir", models.toString());
            assertThat(rm.exitCode()).isZero();
            assertThat(models.resolve("tiny-r1.gguf")).doesNotExist();
            assertThat(run(env, "list", "--models-dir", models.toString()).stdout()).contains("No models");
            assertThat(run(env, "rm", "tiny-r1", "--models-dir", models.toString()).exitCode()).isEqualTo(2);
        }
    }

    @Test
    void withoutNetworkOrALocalDefaultTheServerExplainsAndExitsTwo() throws Exception {
        Result r = run(Map.of("HF_ENDPOINT", "http://127.0.0.1:9"), "--models-dir", dir.resolve("empty").toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.stderr().strip()).startsWith("gguf-server: cannot download http://127.0.0.1:9/bartowski/")
                .contains("DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf").contains("refused")
                .contains("--model PATH").doesNotContain("Exception").doesNotContain("\n")
                // what a new user behind a firewall needs: the size, a mirror, and where the file must go
                .contains("(1.12 GB)").contains("HF_ENDPOINT")
                .contains("save it as " + dir.resolve("empty").resolve("DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf")
                        + ", where the same command finds it");
        assertThat(dir.resolve("empty").resolve("DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf")).doesNotExist();
    }

    @Test
    void aPortInUseIsOneLineWithAPortHintAndExitCodeTwo() throws Exception {
        Path model = TinyModel.write(dir);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            Result r = run("--model", model.toString(), "--port", String.valueOf(port));

            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.stderr().strip()).isEqualTo("gguf-server: port " + port + " on 127.0.0.1 is already in use; "
                    + "choose another with --port (0 picks a free one)");
        }
    }

    @Test
    void aHuggingFaceReferenceWithDotSegmentsIsRefusedWithExitCodeTwo() throws Exception {
        for (String ref : List.of("hf:../../x/y.gguf", "hf:o/r/y.gguf@../../../../x")) {
            Result r = run(Map.of("HF_ENDPOINT", "http://127.0.0.1:9/mirror/prefix"), "pull", ref, "--models-dir",
                    dir.resolve("m").toString());

            assertThat(r.exitCode()).as(ref).isEqualTo(2);
            assertThat(r.stderr().strip()).as(ref).isEqualTo("gguf-server: '" + ref + "' is not a valid Hugging Face "
                    + "reference: owner, repository, file path and revision may not contain '..' as a part");
        }
    }

    @Test
    void servesFromEnvironmentVariablesAndIgnoresLlamaArgVariables() throws Exception {
        Path model = TinyModel.write(dir);
        ProcessBuilder builder = new ProcessBuilder(command()).redirectErrorStream(true);
        builder.environment().putAll(Map.of(
                "GGUF_SERVER_MODEL", model.toString(),
                "GGUF_SERVER_PORT", "0",
                "GGUF_SERVER_CTX_SIZE", "256",
                "GGUF_SERVER_ALIAS", "from-env",
                "GGUF_SERVER_REASONING_BUDGET", "4",
                "GGUF_SERVER_REASONING_BUDGET_LOW", "2",
                "GGUF_SERVER_REASONING_BUDGET_MESSAGE", "Time is up.",
                // each of these would break the answer if llama.cpp saw it
                "LLAMA_ARG_N_PREDICT", "1",
                "LLAMA_ARG_CTX_SIZE", "16",
                "GLIBC_TUNABLES", "glibc.malloc.arena_max=2"));
        Process server = builder.start();
        try {
            int port = awaitPort(server);
            Http http = new Http("http://127.0.0.1:" + port);
            assertThat(http.get("/health").status()).isEqualTo(200);
            // the engine process gets none of llama.cpp's variables, and malloc's huge pages beside the user's tunable
            // (glibc parses GLIBC_TUNABLES in place at start, leaving a NUL where each ':' was)
            String engineEnvironment = Files.readString(Path.of("/proc/" + engineOf(server).pid() + "/environ"));
            assertThat(List.of(engineEnvironment.split("\0"))).noneMatch(v -> v.startsWith("LLAMA_ARG_"))
                    .contains("GOMP_SPINCOUNT=10000000");
            assertThat(engineEnvironment).containsPattern(
                    "GLIBC_TUNABLES=glibc\\.malloc\\.arena_max=2[:\0]glibc\\.malloc\\.hugetlb=1\0");

            JsonNode body = http.post("/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").json();

            assertThat(body.get("model").asText()).isEqualTo("from-env");
            assertThat(body.get("choices").get(0).get("message").get("content").asText()).isEqualTo(TinyModel.ANSWER);
            assertThat(body.at("/choices/0/message/reasoning_content").asText())
                    .isEqualTo("Okay, the user\n\nTime is up."); // cut at the default budget of 4
            JsonNode low = http.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                    + "\"reasoning_effort\":\"low\"}").json();
            assertThat(low.at("/usage/completion_tokens_details/reasoning_tokens").asInt()).isEqualTo(2);
            assertThat(http.get("/v1/models").json().get("data").get(0).get("meta").get("context_length").asInt())
                    .isEqualTo(256);
        } finally {
            server.destroy();
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
        }
        assertThat(server.exitValue()).isZero();
        assertThat(server.descendants().count()).isZero();
    }

    private Process startServer(Path model, String... extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("--model", model.toString(), "--port", "0", "--ctx-size", "30000",
                "--parallel", "1"));
        args.addAll(List.of(extraArgs));
        return new ProcessBuilder(command(args.toArray(String[]::new))).redirectErrorStream(true).start();
    }

    private static ProcessHandle engineOf(Process server) {
        return server.toHandle().children()
                .filter(p -> p.info().commandLine().orElse("").contains("WorkerMain"))
                .findFirst().orElseThrow(() -> new AssertionError("no engine process under the server"));
    }

    private static String memoryMap(long pid) throws IOException {
        return Files.readString(Path.of("/proc/" + pid + "/maps"));
    }

    @Test
    void repeatedModelOptionsServeSeveralModelsByNameEachInItsOwnEngineProcess() throws Exception {
        Path first = TinyModel.write(dir);
        Path second = TinyModel.write(dir, "second.gguf", TinyModel.officialTemplate());
        Process server = startServer(first, "--model", "other=" + second);
        try {
            Http http = new Http("http://127.0.0.1:" + awaitPort(server)); // the first model is ready
            dev.ggufserver.support.Await.until("the second model loads", java.time.Duration.ofSeconds(60),
                    () -> http.get("/v1/models/other").json().at("/meta/status").asText().equals("ready"));

            assertThat(http.get("/v1/models").json().get("data")).extracting(m -> m.get("id").asText())
                    .containsExactly("tiny-r1", "other");
            JsonNode answer = http.post("/v1/chat/completions",
                    "{\"model\":\"other\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").json();
            assertThat(answer.get("model").asText()).isEqualTo("other");
            assertThat(answer.at("/choices/0/message/content").asText()).isEqualTo(TinyModel.ANSWER);
            assertThat(http.post("/v1/chat/completions", "{\"model\":\"third\",\"messages\":[{\"role\":"
                    + "\"user\",\"content\":\"hi\"}]}").status()).isEqualTo(404);
            assertThat(server.toHandle().children().filter(p -> p.info().commandLine().orElse("")
                    .contains("WorkerMain")).count()).isEqualTo(2);
        } finally {
            server.destroy();
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(server.descendants().count()).isZero();
    }

    @Test
    void theNativeLibraryLivesOnlyInTheEngineProcessWhichDiesWithTheServer() throws Exception {
        Process server = startServer(TinyModel.write(dir));
        try {
            awaitPort(server);
            ProcessHandle engine = engineOf(server);
            assertThat(memoryMap(engine.pid())).contains("libjllama");
            assertThat(memoryMap(server.pid())).doesNotContain("libjllama").doesNotContain("libllama");

            server.destroyForcibly(); // SIGKILL: no shutdown hook runs

            assertThat(engine.onExit().get(15, TimeUnit.SECONDS).isAlive()).as("the engine exits by itself")
                    .isFalse();
        } finally {
            server.destroyForcibly();
        }
    }

    @Test
    void sigtermLetsARunningStreamFinishThenExitsWithZero() throws Exception {
        Process server = startServer(TinyModel.write(dir), "--shutdown-timeout", "60");
        int port = awaitPort(server);
        ProcessHandle engine = engineOf(server);
        java.net.http.HttpResponse<java.io.InputStream> stream = new Http("http://127.0.0.1:" + port).postStream(
                "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"loop\"}],"
                        + "\"stream\":true,\"max_tokens\":1500}");
        List<String> frames = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(),
                StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.startsWith("data: ")) {
                    frames.add(line);
                    if (frames.size() == 2) {
                        server.destroy(); // SIGTERM while the answer streams
                    }
                }
            }
        }
        assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(server.exitValue()).isZero();
        assertThat(frames.get(frames.size() - 1)).isEqualTo("data: [DONE]");
        assertThat(frames.get(frames.size() - 2)).contains("\"finish_reason\":\"length\"");
        assertThat(engine.onExit().get(15, TimeUnit.SECONDS).isAlive()).isFalse();
    }

    /** Reads the server's output until it says where it listens and that the model is ready. */
    private static int awaitPort(Process server) throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
            lines.add("<end>");
        });
        reader.setDaemon(true);
        reader.start();
        int port = -1;
        StringBuilder seen = new StringBuilder();
        while (true) {
            String line = lines.poll(60, TimeUnit.SECONDS);
            assertThat(line).as("server output so far:\n%s", seen).isNotNull().isNotEqualTo("<end>");
            seen.append(line).append('\n');
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
            }
            if (line.matches(".*Model '.*' ready.*")) {
                assertThat(port).isPositive();
                return port;
            }
        }
    }
}
