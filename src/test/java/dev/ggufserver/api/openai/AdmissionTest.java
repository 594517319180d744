package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.engine.AdmissionQueue;
import dev.ggufserver.generation.RunStats;
import dev.ggufserver.support.Await;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RawHttp;
import dev.ggufserver.support.TestServer;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The admission queue over real HTTP with a scripted engine: full, too slow, and clients that leave while waiting. */
class AdmissionTest {
    private static final String HI = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    private static final Duration LONG = Duration.ofSeconds(30);

    private static CompletableFuture<Http.Response> async(Http http, String body) {
        return CompletableFuture.supplyAsync(() -> http.post("/v1/chat/completions", body));
    }

    /** A request that takes the engine's only slot; it holds it until the engine's latch is released. */
    private static CompletableFuture<Http.Response> occupyTheOnlySlot(Http http, FakeEngine engine)
            throws InterruptedException {
        CompletableFuture<Http.Response> running = async(http, HI + "}");
        assertThat(engine.started.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
        return running;
    }

    private static AdmissionQueue queue(TestServer server) {
        return server.host().current().orElseThrow().runner().queue();
    }

    private static RunStats stats(TestServer server) {
        return server.host().current().orElseThrow().runner().stats();
    }

    @Test
    void aFullQueueAnswers503WithRetryAfterAndTheOthersStillFinish() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeEngine engine = new FakeEngine(4096, 1).script("</think>ok").holdBeforeFirstPiece(release);
        try (TestServer server = TestServer.serving(engine, LONG, 1, LONG)) {
            Http http = server.http();
            CompletableFuture<Http.Response> running = occupyTheOnlySlot(http, engine);
            CompletableFuture<Http.Response> queued = async(http, HI + "}");
            Await.until("one waiting", LONG, () -> queue(server).waiting() == 1);

            Http.Response rejected = http.post("/v1/chat/completions", HI + ",\"stream\":true}");

            assertThat(rejected.status()).isEqualTo(503);
            assertThat(rejected.header("Retry-After")).isEqualTo("5");
            assertThat(rejected.json().get("error").get("code").asText()).isEqualTo("server_overloaded");
            release.countDown();
            assertThat(running.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
            assertThat(queued.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
            assertThat(http.get("/metrics").body()).contains("gguf_queue_rejected_total{model=\"fake-model\"} 1.0");
        }
    }

    @Test
    void waitingLongerThanTheQueueTimeoutAnswers503() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeEngine engine = new FakeEngine(4096, 1).script("</think>ok").holdBeforeFirstPiece(release);
        try (TestServer server = TestServer.serving(engine, LONG, 8, Duration.ofMillis(300))) {
            Http http = server.http();
            CompletableFuture<Http.Response> running = occupyTheOnlySlot(http, engine);

            Http.Response timedOut = http.post("/v1/chat/completions", HI + "}");

            assertThat(timedOut.status()).isEqualTo(503);
            assertThat(timedOut.json().get("error").get("code").asText()).isEqualTo("server_overloaded");
            assertThat(timedOut.json().get("error").get("message").asText()).contains("within 300 ms");
            release.countDown();
            assertThat(running.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
        }
    }

    @Test
    void aClientThatLeavesWhileQueuedGivesUpItsPlace() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeEngine engine = new FakeEngine(4096, 1).script("</think>ok").holdBeforeFirstPiece(release);
        try (TestServer server = TestServer.serving(engine, LONG, 8, LONG)) {
            Http http = server.http();
            CompletableFuture<Http.Response> running = occupyTheOnlySlot(http, engine);
            try (Socket client = RawHttp.postChat(RawHttp.portOf(server.url()), HI + "}")) {
                Await.until("the request to queue", LONG, () -> queue(server).waiting() == 1);
            } // hang up while waiting
            assertThat(stats(server).awaitClientGone(1, 30, TimeUnit.SECONDS)).isTrue();
            assertThat(queue(server).waiting()).isZero();

            release.countDown();
            assertThat(running.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
            assertThat(engine.generations.get()).as("the departed request never reached the engine").isEqualTo(1);
            assertThat(http.get("/metrics").body())
                    .contains("gguf_cancellations_total{model=\"fake-model\",reason=\"client_gone\"} 1.0");
        }
    }

    @Test
    void aNonStreamedClientThatLeavesDuringPromptProcessingStopsItsGeneration() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeEngine engine = new FakeEngine(4096, 1).script("</think>never", " seen").holdBeforeFirstPiece(release);
        try (TestServer server = TestServer.serving(engine, LONG, 8, LONG)) {
            try (Socket client = RawHttp.postChat(RawHttp.portOf(server.url()), HI + "}")) {
                assertThat(engine.started.tryAcquire(30, TimeUnit.SECONDS)).isTrue(); // "processing the prompt"
            } // hang up before the first token
            release.countDown(); // the prompt is "processed": the first piece must also be the last
            assertThat(stats(server).awaitClientGone(1, 30, TimeUnit.SECONDS)).isTrue();
            assertThat(engine.cancellations.get()).isEqualTo(1);
            Await.until("the slot to be free", LONG, () -> queue(server).inUse() == 0);
            assertThat(server.http().post("/v1/chat/completions", HI + "}").status()).isEqualTo(200);
        }
    }
}
