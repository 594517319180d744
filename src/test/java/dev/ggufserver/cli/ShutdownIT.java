package dev.ggufserver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.support.Await;
import dev.ggufserver.support.Http;
import dev.ggufserver.testmodel.TinyModel;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM as a service manager sends it, when a request will not finish in time. */
class ShutdownIT {
    private static final Path JAR = Path.of(System.getProperty("gguf-server.jar", "target/gguf-server.jar"));

    @TempDir
    Path dir;

    @Test
    void sigtermWithARequestThatCannotFinishStillExitsZeroAndStopsTheEngine() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Path log = dir.resolve("server.log");
        Process server = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString(), "--model", TinyModel.write(dir).toString(), "--port", String.valueOf(port),
                "--ctx-size", "30000", "--parallel", "1", "--shutdown-timeout", "1", "--idle-timeout", "300"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Http http = new Http("http://127.0.0.1:" + port);
        Await.until("the server to serve", Duration.ofSeconds(60), () -> {
            try {
                return http.get("/health").status() == 200;
            } catch (RuntimeException | AssertionError notYet) {
                return false;
            }
        });
        ProcessHandle engine = server.toHandle().children().findFirst().orElseThrow();
        // a client that asks for a long stream and never reads it: its handler is stuck writing
        try (Socket stalled = new Socket("127.0.0.1", port)) {
            stalled.setReceiveBufferSize(1024);
            byte[] body = "{\"messages\":[{\"role\":\"user\",\"content\":\"loop\"}],\"stream\":true,\"max_tokens\":29000}"
                    .getBytes(StandardCharsets.UTF_8);
            OutputStream out = stalled.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            Await.until("the generation to run", Duration.ofSeconds(30),
                    () -> http.get("/metrics").body().matches("(?s).*gguf_slots_busy\\{model=\"[^\"]+\"} 1\\.0.*"));

            server.destroy(); // SIGTERM

            assertThat(server.waitFor(60, TimeUnit.SECONDS)).as("exits").isTrue();
        }
        assertThat(server.exitValue()).as(Files.readString(log)).isZero();
        assertThat(engine.onExit().get(15, TimeUnit.SECONDS).isAlive()).as("the engine process stopped").isFalse();
        assertThat(Files.readString(log)).contains("HTTP did not stop cleanly");
    }
}
