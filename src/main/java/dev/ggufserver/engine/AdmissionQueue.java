package dev.ggufserver.engine;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Admission to the engine: at most {@code slots} generations at once; up to {@code maxWaiting} more wait, served
 * in arrival order (a fair semaphore, so one busy client cannot starve others beyond queue order); beyond that, or
 * after waiting {@code maxWait}, a request is turned away with {@link OverloadedException}.
 *
 * <p>The native engine queues extra requests internally where they can no longer be cancelled, so it must never
 * get more requests than it has slots; every caller of {@link Engine#generate} comes through here first.
 */
public final class AdmissionQueue {
    private final Semaphore permits;
    private final int slots;
    private final int maxWaiting;
    private final Duration maxWait;
    private int waiting;

    public AdmissionQueue(int slots, int maxWaiting, Duration maxWait) {
        this.slots = slots;
        this.maxWaiting = maxWaiting;
        this.maxWait = maxWait;
        this.permits = new Semaphore(slots, true);
    }

    /** A held slot; closing it lets the next waiting request in. */
    public interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /** No slot could be had: the queue is full or the wait too long. */
    public static final class OverloadedException extends EngineException {
        public OverloadedException(String message) {
            super(message);
        }
    }

    /**
     * Waits for a slot. Every {@code checkEveryMillis} while waiting, {@code stillWanted} is asked whether the caller
     * still wants one (it may also send a keep-alive); when it says no, the wait is abandoned.
     *
     * @return the slot, or null when the caller gave up
     */
    public Slot acquire(long checkEveryMillis, BooleanSupplier stillWanted)
            throws InterruptedException, OverloadedException {
        // the timed form honours fairness (plain tryAcquire() would jump ahead of the requests already waiting)
        if (permits.tryAcquire(0, TimeUnit.NANOSECONDS)) {
            return slot();
        }
        synchronized (this) {
            if (waiting >= maxWaiting) {
                throw new OverloadedException("The server is busy: " + slots + " requests are being generated and "
                        + waiting + " are waiting. Try again shortly.");
            }
            waiting++;
        }
        try {
            long deadline = System.nanoTime() + maxWait.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new OverloadedException("The server is busy: no slot became free within "
                            + maxWait.toSeconds() + " s. Try again shortly.");
                }
                if (permits.tryAcquire(Math.min(TimeUnit.MILLISECONDS.toNanos(checkEveryMillis), left),
                        TimeUnit.NANOSECONDS)) {
                    return slot();
                }
                if (!stillWanted.getAsBoolean()) {
                    return null;
                }
            }
        } finally {
            synchronized (this) {
                waiting--;
            }
        }
    }

    private Slot slot() {
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

    public int slots() {
        return slots;
    }

    public int inUse() {
        return slots - permits.availablePermits();
    }

    public synchronized int waiting() {
        return waiting;
    }
}
