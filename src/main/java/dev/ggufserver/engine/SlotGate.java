package dev.ggufserver.engine;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Admission to the engine: at most {@code slots} generations at once, waiting requests served in arrival order.
 *
 * <p>The native engine queues extra requests internally where they can no longer be cancelled, so it must never get
 * more requests than it has slots; every caller of {@link Engine#generate} goes through here first.
 */
public final class SlotGate {
    private final Semaphore permits;
    private final int slots;

    public SlotGate(int slots) {
        this.slots = slots;
        this.permits = new Semaphore(slots, true);
    }

    /** A held slot; closing it lets the next waiting request in. */
    public interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Waits for a slot. Every {@code checkEveryMillis} while waiting, {@code stillWanted} is asked whether the caller
     * still wants one (it may also send a keep-alive); when it says no, the wait is abandoned.
     *
     * @return the slot, or null when the caller gave up
     */
    public Slot acquire(long checkEveryMillis, BooleanSupplier stillWanted) throws InterruptedException {
        while (!permits.tryAcquire(checkEveryMillis, TimeUnit.MILLISECONDS)) {
            if (!stillWanted.getAsBoolean()) {
                return null;
            }
        }
        return new Slot() {
            private boolean released;

            @Override
            public synchronized void close() {
                if (!released) {
                    released = true;
                    permits.release();
                }
            }
        };
    }

    public int inUse() {
        return slots - permits.availablePermits();
    }

    public int waiting() {
        return permits.getQueueLength();
    }
}
