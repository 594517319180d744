package dev.ggufserver.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ggufserver.support.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AdmissionQueueTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static Thread take(AdmissionQueue queue, String name, List<String> order, CountDownLatch done) {
        Thread t = new Thread(() -> {
            try (AdmissionQueue.Slot slot = queue.acquire(5, () -> true)) {
                order.add(name);
            } catch (Exception e) {
                order.add(name + " failed: " + e);
            } finally {
                done.countDown();
            }
        }, "waiter-" + name);
        t.start();
        return t;
    }

    @Test
    void waitersAreServedInArrivalOrderHoweverLongTheyWait() throws Exception {
        for (int round = 0; round < 20; round++) {
            AdmissionQueue queue = new AdmissionQueue(1, 8, WAIT);
            AdmissionQueue.Slot held = queue.acquire(5, () -> true);
            List<String> order = new CopyOnWriteArrayList<>();
            CountDownLatch done = new CountDownLatch(3);
            take(queue, "A", order, done);
            Await.until("A waits", WAIT, () -> queue.waiting() == 1);
            take(queue, "B", order, done);
            Await.until("B waits", WAIT, () -> queue.waiting() == 2);
            take(queue, "C", order, done);
            Await.until("C waits", WAIT, () -> queue.waiting() == 3);
            // the waiters check back every 5 ms: waiting through many checks must not cost anyone their place
            Thread.sleep(round * 3L);
            held.close();

            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(order).as("round %d", round).containsExactly("A", "B", "C");
            assertThat(queue.inUse()).isZero();
        }
    }

    @Test
    void aWaiterWhoGivesUpLeavesItsPlaceToTheNext() throws Exception {
        AdmissionQueue queue = new AdmissionQueue(1, 8, WAIT);
        AdmissionQueue.Slot held = queue.acquire(5, () -> true);
        CountDownLatch gaveUp = new CountDownLatch(1);
        Thread leaver = new Thread(() -> {
            try {
                assertThat(queue.acquire(5, () -> false)).isNull();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            gaveUp.countDown();
        });
        leaver.start();
        assertThat(gaveUp.await(10, TimeUnit.SECONDS)).isTrue();
        List<String> order = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        take(queue, "B", order, done);
        Await.until("B waits", WAIT, () -> queue.waiting() == 1);
        held.close();

        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(order).containsExactly("B");
        assertThat(queue.inUse()).isZero();
        assertThat(queue.waiting()).isZero();
    }

    @Test
    void aFullQueueAndATooLongWaitAreOverloadedWithTheWaitInMilliseconds() throws Exception {
        AdmissionQueue queue = new AdmissionQueue(1, 0, Duration.ofMillis(50));
        AdmissionQueue.Slot held = queue.acquire(5, () -> true);
        assertThatThrownBy(() -> queue.acquire(5, () -> true)).isInstanceOf(AdmissionQueue.OverloadedException.class)
                .hasMessageContaining("0 are waiting");

        AdmissionQueue patient = new AdmissionQueue(1, 1, Duration.ofMillis(50));
        AdmissionQueue.Slot busy = patient.acquire(5, () -> true);
        assertThatThrownBy(() -> patient.acquire(5, () -> true))
                .isInstanceOf(AdmissionQueue.OverloadedException.class).hasMessageContaining("within 50 ms");
        assertThat(patient.waiting()).isZero();
        held.close();
        busy.close();
        assertThat(patient.inUse()).isZero();
    }
}
