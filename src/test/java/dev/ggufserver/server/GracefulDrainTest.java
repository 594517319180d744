package dev.ggufserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.support.Await;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.TestServer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Shutdown drains: running completions finish, new ones get 503, and the wait is bounded by the grace period. */
class GracefulDrainTest {
    private static final String STREAM = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}";

    @Test
    void runningStreamsFinishWhileNewRequestsAreTurnedAway() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeEngine engine = new FakeEngine(4096, 2).script("</think>still", " here").holdBeforeFirstPiece(release);
        try (TestServer server = TestServer.serving(engine, Duration.ofSeconds(30))) {
            Http http = server.http();
            ModelHost host = server.host();
            CompletableFuture<Http.Response> running = CompletableFuture.supplyAsync(
                    () -> http.post("/v1/chat/completions", STREAM));
            assertThat(engine.started.tryAcquire(30, TimeUnit.SECONDS)).isTrue();

            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
                try {
                    return host.drain(Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until("draining", Duration.ofSeconds(10), () -> host.status() == ModelHost.Status.DRAINING);

            Http.Response turnedAway = http.post("/v1/chat/completions", STREAM);
            assertThat(turnedAway.status()).isEqualTo(503);
            assertThat(turnedAway.json().get("error").get("code").asText()).isEqualTo("server_shutting_down");
            assertThat(http.get("/health").status()).isEqualTo(503);
            assertThat(drained).isNotDone();

            release.countDown();
            assertThat(running.get(30, TimeUnit.SECONDS).body()).contains("\"content\":\"still\"")
                    .contains("data: [DONE]");
            assertThat(drained.get(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void theWaitEndsAfterTheGracePeriod() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeEngine engine = new FakeEngine(4096, 2).script("x").holdBeforeFirstPiece(release);
        try (TestServer server = TestServer.serving(engine, Duration.ofSeconds(30))) {
            CompletableFuture.runAsync(() -> server.http().post("/v1/chat/completions", STREAM));
            assertThat(engine.started.tryAcquire(30, TimeUnit.SECONDS)).isTrue();

            assertThat(server.host().drain(Duration.ofMillis(200))).isFalse();
            release.countDown();
        }
    }
}
