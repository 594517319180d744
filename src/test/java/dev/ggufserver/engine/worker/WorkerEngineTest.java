package dev.ggufserver.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.engine.EngineStatus;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.server.ServerConfig;
import dev.ggufserver.support.Await;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The supervised engine process with the real native engine: it may crash, abort or hang, and the server stays
 * up, tells clients, restarts it and serves again.
 */
class WorkerEngineTest {
    private static final Duration RECOVERY = Duration.ofSeconds(60);
    private static final String HI = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static GgufServer server;
    private static Http http;

    @BeforeAll
    static void start() throws Exception {
        server = GgufServer.start(ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 30_000, 2, 2, "tiny-r1")
                .withEngineTestHooks(Duration.ofSeconds(2), Duration.ofMillis(20)));
        http = new Http("http://127.0.0.1:" + server.port());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static WorkerEngine engine() {
        return server.engine();
    }

    private static long workerPid() {
        return engine().workerPid().orElseThrow();
    }

    /** Waits for an outage and the recovery after it; returns what the engine said while it was down. */
    private static String awaitOutageAndRecovery(long oldPid) {
        AtomicReference<String> detail = new AtomicReference<>();
        Await.until("the engine to report the outage", RECOVERY, () -> {
            EngineStatus status = engine().status();
            if (!status.ready()) {
                detail.set(status.detail());
                return true;
            }
            return engine().workerPid().orElse(oldPid) != oldPid; // already restarted
        });
        Await.until("/health to be ok again", RECOVERY, () -> http.get("/health").status() == 200);
        assertThat(workerPid()).isNotEqualTo(oldPid);
        assertThat(ProcessHandle.of(oldPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        return detail.get();
    }

    private static void assertServesAgain() {
        JsonNode body = http.post("/v1/chat/completions", HI).json();
        assertThat(body.get("choices").get(0).get("message").get("content").asText()).isEqualTo(TinyModel.ANSWER);
    }

    @Test
    void aWorkerKilledMidStreamEndsTheStreamWithAnErrorAndComesBack() throws Exception {
        long pid = workerPid();
        HttpResponse<InputStream> response = http.postStream("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"loop\"}],\"stream\":true}");
        List<String> frames = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.startsWith("data: ")) {
                    frames.add(line.substring(6));
                    if (frames.size() == 5) {
                        ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL, as the OOM killer would
                    }
                }
            }
        }
        assertThat(frames).doesNotContain("[DONE]");
        JsonNode error = new ObjectMapper().readTree(frames.get(frames.size() - 1)).get("error");
        assertThat(error.get("message").asText()).contains("engine process stopped");
        assertThat(error.get("type").asText()).isEqualTo("server_error");

        String outage = awaitOutageAndRecovery(pid);
        assertThat(outage).contains("exit code 137");
        assertServesAgain();
    }

    @Test
    void aNativeAbortInTheWorkerIsSurvived() throws Exception {
        long pid = workerPid();
        long restarts = engine().restarts();

        engine().testHook("abort");

        String outage = awaitOutageAndRecovery(pid);
        assertThat(outage).contains("exit code 134").contains("SIGABRT");
        assertThat(engine().restarts()).isEqualTo(restarts + 1);
        assertServesAgain();
    }

    @Test
    void aWorkerKeepsNoCopyOfTheNativeLibraryAndLeavesNoDirectory() throws Exception {
        // each worker extracts the 5 MB native library into a directory of its own: the file goes once loaded,
        // the directory when the worker ends
        long pid = workerPid();
        String option = "-Dde.kherud.llama.tmpdir=";
        String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline"));
        Path directory = Path.of(Arrays.stream(cmdline.split("\0")).filter(a -> a.startsWith(option))
                .findFirst().orElseThrow().substring(option.length()));
        assertThat(directory).isDirectory();
        try (Stream<Path> files = Files.list(directory)) {
            assertThat(files).isEmpty();
        }

        engine().testHook("exit");
        awaitOutageAndRecovery(pid);

        assertThat(directory).doesNotExist();
    }

    @Test
    void whileTheWorkerIsDownRequestsGet503WithRetryAfter() throws Exception {
        // a server of its own whose restarts wait 3 s, so the outage is certainly seen
        try (GgufServer slow = GgufServer.start(ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 256, 1, 2,
                "tiny-r1").withEngineTestHooks(Duration.ofSeconds(30), Duration.ofSeconds(3)))) {
            Http slowHttp = new Http("http://127.0.0.1:" + slow.port());
            slow.engine().testHook("exit");
            Await.until("the outage", RECOVERY, () -> !slow.engine().status().ready());

            for (Http.Response r : List.of(slowHttp.get("/health"), slowHttp.post("/v1/chat/completions", HI),
                    slowHttp.post("/v1/completions", "{\"prompt\":\"hi\",\"stream\":true}"))) {
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.header("Retry-After")).isEqualTo("5");
                assertThat(r.json().get("error").get("code").asText()).isEqualTo("engine_unavailable");
                assertThat(r.json().get("error").get("message").asText()).contains("exit code 3");
            }
            Await.until("/health to be ok again", RECOVERY, () -> slowHttp.get("/health").status() == 200);
            assertThat(slowHttp.post("/v1/chat/completions", HI).status()).isEqualTo(200);
        }
    }

    @Test
    void theWatchdogEndsAStuckGenerationAndRestartsTheWorker() throws Exception {
        long pid = workerPid();
        engine().testHook("stall"); // the next generation hangs inside the engine, as a stuck native call would

        Http.Response stuck = http.post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"loop\"}]}");

        assertThat(stuck.status()).isEqualTo(500);
        assertThat(stuck.json().get("error").get("message").asText()).contains("no progress for 2 s");
        awaitOutageAndRecovery(pid);
        assertServesAgain();
    }

    @Test
    void twentyRestartsDoNotGrowTheServer() {
        restartOnce(); // warm up: classes, thread pools, buffers
        restartOnce();
        long threadsBefore = Thread.activeCount();
        long heapBefore = usedHeapAfterGc();

        for (int i = 0; i < 20; i++) {
            restartOnce();
        }

        assertThat(Thread.activeCount()).as("threads").isLessThanOrEqualTo((int) threadsBefore + 3);
        assertThat(usedHeapAfterGc() - heapBefore).as("heap growth in bytes").isLessThan(16L * 1024 * 1024);
        assertServesAgain();
    }

    private static void restartOnce() {
        long pid = workerPid();
        try {
            engine().testHook("exit");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        Await.until("a new worker", RECOVERY, () -> engine().status().ready()
                && engine().workerPid().orElse(pid) != pid);
        Await.until("the old worker to be gone", RECOVERY,
                () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Test
    void aWorkerThatDiesRightAfterReadyIsNoticedAndRestartedAtStartupAndOnRestart() throws Exception {
        Path flag = Files.createTempFile("exit-after-ready", ".flag");
        System.setProperty(WorkerMain.EXIT_AFTER_READY_PROPERTY, flag.toString());
        // the starting thread dawdles after READY, so the worker is surely gone before it is registered
        System.setProperty(WorkerConnection.PAUSE_AFTER_READY_PROPERTY, "1500");
        try (GgufServer fresh = GgufServer.start(ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 512, 1, 2,
                "tiny-r1").withEngineTestHooks(Duration.ofSeconds(2), Duration.ofMillis(20)))) {
            Http freshHttp = new Http("http://127.0.0.1:" + fresh.port());
            // the first worker said READY and exited at once: /health must not say ok for a dead worker, and the
            // server must start another one
            Await.until("the first worker to use the hook", RECOVERY, () -> !Files.exists(flag));
            Await.until("a restart, and a live worker that serves", RECOVERY, () -> fresh.engine().restarts() >= 1
                    && freshHttp.get("/health").status() == 200
                    && fresh.engine().workerPid().stream().allMatch(p -> ProcessHandle.of(p).isPresent()));
            assertThat(freshHttp.post("/v1/chat/completions", HI).status()).isEqualTo(200);

            // the same on the restart path: kill it, and let its replacement die right after READY too
            Files.createFile(flag);
            long before = fresh.engine().restarts();
            fresh.engine().testHook("exit");
            Await.until("two more restarts", RECOVERY, () -> fresh.engine().restarts() >= before + 2
                    && freshHttp.get("/health").status() == 200);
            assertThat(Files.exists(flag)).as("the replacement used the hook").isFalse();
            assertThat(freshHttp.post("/v1/chat/completions", HI).status()).isEqualTo(200);
        } finally {
            System.clearProperty(WorkerMain.EXIT_AFTER_READY_PROPERTY);
            System.clearProperty(WorkerConnection.PAUSE_AFTER_READY_PROPERTY);
            Files.deleteIfExists(flag);
        }
    }

    @Test
    void healthReportsAWorkerThatStopsAnsweringAndRecoversWhenItAnswersAgain() throws Exception {
        long pid = workerPid();
        signal("STOP", pid);
        try {
            Await.until("/health to report the silence", RECOVERY, () -> http.get("/health").status() == 503);
            JsonNode health = http.get("/health").json();
            assertThat(health.get("status").asText()).isEqualTo("unavailable");
            assertThat(health.get("reason").asText()).contains("has not answered");
        } finally {
            signal("CONT", pid);
        }
        Await.until("/health to be ok again", RECOVERY, () -> http.get("/health").status() == 200);
        assertThat(workerPid()).isEqualTo(pid);
        assertServesAgain();
    }

    private static void signal(String name, long pid) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + name, String.valueOf(pid)).start().waitFor()).isZero();
    }

    private static final GenerationRequest ENDLESS = new GenerationRequest("<｜User｜>loop<｜Assistant｜><think>\n",
            25_000, Sampling.greedy());

    /** Runs an endless generation whose caller leaves after a few pieces, the way {@code leave} says. */
    private static Throwable leaveMidGeneration(java.util.function.Consumer<Thread> leave, boolean throwInListener)
            throws Exception {
        java.util.concurrent.CountDownLatch going = new java.util.concurrent.CountDownLatch(1);
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            java.util.concurrent.atomic.AtomicInteger pieces = new java.util.concurrent.atomic.AtomicInteger();
            try {
                engine().generate(ENDLESS, (text, tokens) -> {
                    if (pieces.incrementAndGet() == 5) {
                        going.countDown();
                        if (throwInListener) {
                            throw new IllegalStateException("the listener failed");
                        }
                    }
                    return true;
                });
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        caller.start();
        assertThat(going.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        leave.accept(caller);
        caller.join(30_000);
        assertThat(caller.isAlive()).isFalse();
        return outcome.get();
    }

    @Test
    void aCallerThatLeavesMidGenerationHandsBackItsSlotOnlyAfterTheWorkerLetGo() throws Exception {
        long before = engine().unclaimedFrames();

        Throwable interrupted = leaveMidGeneration(Thread::interrupt, false);
        assertThat(interrupted).hasMessageContaining("interrupted");
        assertServesAgain(); // time for frames of a generation that went on to arrive

        Throwable failed = leaveMidGeneration(t -> { }, true);
        assertThat(failed).hasMessageContaining("the listener failed");
        assertServesAgain();

        assertThat(engine().unclaimedFrames()).as("frames of a request whose caller had left").isEqualTo(before);
    }
}
