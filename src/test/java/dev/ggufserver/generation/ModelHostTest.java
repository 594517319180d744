package dev.ggufserver.generation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.support.Await;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.template.ChatTemplate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The registry's loading rules with fake engines: what loads when, what waits, and in which order. */
class ModelHostTest {
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<String> loads = new CopyOnWriteArrayList<>();
    private final List<String> unloads = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private ModelHost.Entry announce(ModelHost host, String id) {
        ModelInfo info = new FakeEngine(id, 64, 1).info();
        return host.expect(info, new ModelHost.Loader() {
            @Override
            public ServedModel load() {
                loads.add(id);
                return ServedModel.of(new FakeEngine(id, 64, 1), new ChatTemplate("x", "", "", false),
                        ReasoningFormat.DEEPSEEK, Duration.ofSeconds(5));
            }

            @Override
            public void unload(ServedModel model) {
                unloads.add(id);
                model.close();
            }
        });
    }

    /** Waits until {@code thread} blocks inside the host, or the lease it was taking came back. */
    private static void awaitBlockedOrDone(Thread[] thread, Future<?> lease) {
        Await.until("the request blocks or is served", Duration.ofSeconds(10), () -> lease.isDone()
                || thread[0] != null && thread[0].getState() == Thread.State.WAITING);
    }

    private Future<ModelHost.Lease> leaseLater(ModelHost host, ModelHost.Entry entry, Thread[] thread) {
        return pool.submit(() -> {
            thread[0] = Thread.currentThread();
            return host.lease(entry);
        });
    }

    @Test
    void aModelInSteadyUseMakesRoomForOneThatWaitsInsteadOfStarvingIt() throws Exception {
        ModelHost host = new ModelHost();
        ModelHost.Entry a = announce(host, "a");
        ModelHost.Entry b = announce(host, "b");
        host.limitLoaded(1);
        ModelHost.Lease runningOnA = host.lease(a);

        Thread[] bThread = new Thread[1];
        Future<ModelHost.Lease> forB = leaseLater(host, b, bThread);
        awaitBlockedOrDone(bThread, forB);
        assertThat(forB).as("b waits: a is in use").isNotDone();
        Thread[] laterAThread = new Thread[1];
        Future<ModelHost.Lease> laterForA = leaseLater(host, a, laterAThread);
        awaitBlockedOrDone(laterAThread, laterForA);
        assertThat(laterForA).as("a takes no new request while b waits for room").isNotDone();

        runningOnA.close(); // a goes idle: b loads in its place

        ModelHost.Lease onB = forB.get(10, TimeUnit.SECONDS);
        assertThat(onB.model().info().id()).isEqualTo("b");
        assertThat(unloads).containsExactly("a");
        assertThat(laterForA).as("a now waits for b to go idle").isNotDone();
        onB.close();
        ModelHost.Lease onA = laterForA.get(10, TimeUnit.SECONDS);
        assertThat(onA.model().info().id()).isEqualTo("a");
        assertThat(loads).containsExactly("a", "b", "a");
        onA.close();
    }

    @Test
    void requestsForAModelThatIsLoadingWaitForThatOneLoad() throws Exception {
        ModelHost host = new ModelHost();
        ModelHost.Entry a = announce(host, "a");
        ModelHost.Entry b = announce(host, "b");
        host.limitLoaded(1);
        ModelHost.Lease runningOnA = host.lease(a);
        List<Future<ModelHost.Lease>> forB = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Thread[] thread = new Thread[1];
            forB.add(leaseLater(host, b, thread));
            awaitBlockedOrDone(thread, forB.get(i));
        }

        runningOnA.close();

        for (Future<ModelHost.Lease> lease : forB) {
            lease.get(10, TimeUnit.SECONDS).close();
        }
        assertThat(loads).containsExactly("a", "b");
    }

    @Test
    void aRequestsKeepAliveDecidesWhenItsModelIsUnloaded() throws Exception {
        ModelHost host = new ModelHost();
        ModelHost.Entry a = announce(host, "a");
        ModelHost.Entry b = announce(host, "b");

        ModelHost.Lease first = host.lease(a);
        ModelHost.Lease second = host.lease(a);
        first.keepAlive(Duration.ZERO);
        first.close();
        assertThat(unloads).as("another request still holds it").isEmpty();
        second.keepAlive(Duration.ZERO);
        second.close();
        assertThat(unloads).as("keep_alive 0: unloaded with its last request").containsExactly("a");
        assertThat(a.status()).isEqualTo(ModelHost.Status.UNLOADED);

        try (ModelHost.Lease onB = host.lease(b)) {
            onB.keepAlive(Duration.ofMillis(50));
        }
        Await.until("b unloads after 50 ms idle", Duration.ofSeconds(10), () -> {
            host.unloadIdle(null); // no server keep-alive: the request's alone
            return unloads.contains("b");
        });
        try (ModelHost.Lease onA = host.lease(a)) {
            onA.keepAlive(ModelHost.KEEP_LOADED);
        }
        host.unloadIdle(Duration.ofNanos(1)); // the server's would unload it; the request's keeps it
        assertThat(a.status()).isEqualTo(ModelHost.Status.READY);
        try (ModelHost.Lease onA = host.lease(a)) {
            onA.keepAlive(null); // back to the server's
        }
        host.unloadIdle(Duration.ofNanos(1));
        assertThat(a.status()).isEqualTo(ModelHost.Status.UNLOADED);
        assertThat(loads).containsExactly("a", "b", "a");
    }
}
