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

    /** No status line came before the client left (it hung up while its request was queued or generating). */
    private static final int NO_STATUS_YET = -1;
    /** The server closed the connection without a status line: never an acceptable answer. */
    private static final int CLOSED_WITHOUT_STATUS = 0;

    /** What one of the 64 clients saw: {@code status} is a real HTTP status or one of the two above. */
    private record Outcome(int status, boolean complete, boolean leftEarly) {
    }

    private static final int CLIENTS = 64;
    private static final int SLOTS = 4;
    private static final int QUEUE = 40;

    @Test
    void sixtyFourClientsWithRandomDeparturesLeaveNoStuckSlotAndMetricsThatAddUp() throws Exception {
        try (GgufServer server = GgufServer.start(ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 2048, SLOTS,
                2, "tiny-r1").withQueue(QUEUE, Duration.ofSeconds(60), 5_000))) {
            Http http = new Http("http://127.0.0.1:" + server.port());
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            List<Future<Outcome>> futures = new ArrayList<>();
            Random random = new Random(42);
            for (int i = 0; i < CLIENTS; i++) {
                int kind = random.nextInt(4);
                int leaveAfter = 1 + random.nextInt(30);
                futures.add(clients.submit(() -> client(http, server.port(), kind, leaveAfter)));
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> f : futures) {
                outcomes.add(f.get(120, TimeUnit.SECONDS));
            }
            clients.shutdown();

            // every client got an answer, a 503, or left before its status came; only a client that leaves on
            // purpose (kind 3) may have no status, and a closed connection without one is never right
            assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).as(o.toString())
                    .isIn(200, 503, NO_STATUS_YET));
            assertThat(outcomes).filteredOn(o -> o.status() == NO_STATUS_YET)
                    .allSatisfy(o -> assertThat(o.leftEarly()).as(o.toString()).isTrue());
            assertThat(outcomes).filteredOn(o -> o.status() == 200 && !o.leftEarly())
                    .allSatisfy(o -> assertThat(o.complete()).as(o.toString()).isTrue());
            // the only 503s are a full queue's: turning one away takes SLOTS running and QUEUE waiting, so at least
            // SLOTS + QUEUE get in and at most CLIENTS - SLOTS - QUEUE are turned away (the 60 s wait never runs out)
            long seen503 = outcomes.stream().filter(o -> o.status() == 503).count();
            long leftWithoutStatus = outcomes.stream().filter(o -> o.status() == NO_STATUS_YET).count();
            long answered = outcomes.stream().filter(o -> o.status() == 200 && o.complete()).count();
            assertThat(seen503).isLessThanOrEqualTo(CLIENTS - SLOTS - QUEUE);
            Await.until("every slot free and nobody waiting", LONG,
                    () -> queue(server).inUse() == 0 && queue(server).waiting() == 0);

            String metrics = http.get("/metrics").body();
            long finished = sum(metrics, "gguf_completions_total");
            long gone = sum(metrics, "gguf_cancellations_total");
            long rejected = sum(metrics, "gguf_queue_rejected_total");
            assertThat(finished + gone + rejected).as(metrics).isEqualTo(CLIENTS);
            // every 503 a client saw was counted; more only for clients that left before their status came
            assertThat(rejected).as(metrics).isBetween(seen503, seen503 + leftWithoutStatus)
                    .isLessThanOrEqualTo(CLIENTS - SLOTS - QUEUE);
            // every whole answer a client read was counted as finished
            assertThat(finished).as(metrics).isGreaterThanOrEqualTo(answered);
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
                        return new Outcome(read < 0 ? CLOSED_WITHOUT_STATUS : statusOf(socket, read), false, true);
                    } catch (java.net.SocketTimeoutException e) {
                        return new Outcome(NO_STATUS_YET, false, true); // still waiting: leave now, no status seen
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
