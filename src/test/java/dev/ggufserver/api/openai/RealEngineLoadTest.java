package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.engine.AdmissionQueue;
import dev.ggufserver.generation.RunStats;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.server.ServerConfig;
import dev.ggufserver.support.Await;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RawHttp;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Load and departures against the real engine: no stuck slot, only the expected 503s, metrics that add up. */
class RealEngineLoadTest {
    private static final Duration LONG = Duration.ofSeconds(60);

    private static AdmissionQueue queue(GgufServer server) {
        return server.host().current().orElseThrow().runner().queue();
    }

    private static RunStats stats(GgufServer server) {
        return server.host().current().orElseThrow().runner().stats();
    }

    @Test
    void aNonStreamedClientThatLeavesWhileDecodingStopsItsGeneration() throws Exception {
        GgufServer server = RealServers.server(RealServers.tinyModel(), 30_000, 1);
        long goneBefore = stats(server).clientGone();

        try (Socket client = RawHttp.postChat(server.port(), "{\"messages\":[{\"role\":\"user\",\"content\":\"loop\"}]}")) {
            Await.until("decoding", LONG, () -> queue(server).inUse() == 1);
        } // hang up in the middle of a 30,000-token answer

        assertThat(stats(server).awaitClientGone(goneBefore + 1, 30, TimeUnit.SECONDS)).isTrue();
        assertThat(stats(server).tokensOfLastClientGone()).isLessThan(20_000);
        Await.until("the slot to be free", LONG, () -> queue(server).inUse() == 0);
        Http.Response next = new Http("http://127.0.0.1:" + server.port()).post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(next.json().get("choices").get(0).get("message").get("content").asText())
                .isEqualTo(TinyModel.ANSWER);
    }

    /** What one of the 64 clients saw. */
    private record Outcome(int status, boolean complete, boolean leftEarly) {
    }

    @Test
    void sixtyFourClientsWithRandomDeparturesLeaveNoStuckSlotAndMetricsThatAddUp() throws Exception {
        try (GgufServer server = GgufServer.start(ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 2048, 4, 2,
                "tiny-r1").withQueue(40, Duration.ofSeconds(60), 5_000))) {
            Http http = new Http("http://127.0.0.1:" + server.port());
            ExecutorService clients = Executors.newFixedThreadPool(64);
            List<Future<Outcome>> futures = new ArrayList<>();
            Random random = new Random(42);
            for (int i = 0; i < 64; i++) {
                int kind = random.nextInt(4);
                int leaveAfter = 1 + random.nextInt(30);
                futures.add(clients.submit(() -> client(http, server.port(), kind, leaveAfter)));
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> f : futures) {
                outcomes.add(f.get(120, TimeUnit.SECONDS));
            }
            clients.shutdown();

            assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).isIn(200, 503));
            assertThat(outcomes).filteredOn(o -> o.status() == 200 && !o.leftEarly())
                    .allSatisfy(o -> assertThat(o.complete()).isTrue());
            assertThat(outcomes).filteredOn(o -> o.status() == 503).hasSizeLessThan(64);
            Await.until("every slot free and nobody waiting", LONG,
                    () -> queue(server).inUse() == 0 && queue(server).waiting() == 0);

            String metrics = http.get("/metrics").body();
            long finished = sum(metrics, "gguf_completions_total");
            long gone = sum(metrics, "gguf_cancellations_total");
            long rejected = sum(metrics, "gguf_queue_rejected_total");
            assertThat(finished + gone + rejected).as(metrics).isEqualTo(64);
            // a client that left before its answer may not have seen its 503
            assertThat(rejected).isGreaterThanOrEqualTo(outcomes.stream().filter(o -> o.status() == 503).count());
            assertThat(gone).isPositive();
            assertThat(http.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                    .status()).isEqualTo(200);
        }
    }

    private static Outcome client(Http http, int port, int kind, int leaveAfter) throws Exception {
        switch (kind) {
            case 0 -> { // a whole streamed answer
                Http.Response r = http.post("/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}");
                return new Outcome(r.status(), r.body().contains("data: [DONE]"), false);
            }
            case 1 -> { // a whole non-streamed answer
                Http.Response r = http.post("/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
                return new Outcome(r.status(), r.status() == 200 && r.body().contains(TinyModel.ANSWER), false);
            }
            case 2 -> { // a stream left after a few chunks
                HttpResponse<InputStream> r = http.postStream("/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"loop\"}],\"stream\":true,\"max_tokens\":400}");
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(r.body(),
                        StandardCharsets.UTF_8))) {
                    int lines = 0;
                    for (String line = reader.readLine(); line != null && lines < leaveAfter;
                         line = reader.readLine()) {
                        lines += line.startsWith("data: ") ? 1 : 0;
                    }
                }
                return new Outcome(r.statusCode(), false, true);
            }
            default -> { // a non-streamed request left before its answer
                try (Socket socket = RawHttp.postChat(port,
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"loop\"}],\"max_tokens\":400}")) {
                    socket.setSoTimeout(leaveAfter * 5);
                    try {
                        int read = socket.getInputStream().read();
                        return new Outcome(read < 0 ? 0 : statusOf(socket, read), false, true);
                    } catch (java.net.SocketTimeoutException e) {
                        return new Outcome(200, false, true); // still waiting: leave now
                    }
                }
            }
        }
    }

    private static int statusOf(Socket socket, int firstByte) throws Exception {
        byte[] rest = new byte[11];
        int n = socket.getInputStream().readNBytes(rest, 0, 11);
        String line = (char) firstByte + new String(rest, 0, n, StandardCharsets.US_ASCII);
        return Integer.parseInt(line.substring(9, 12));
    }

    private static long sum(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
