package dev.ggufserver.engine;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Admission to the engine: at most {@code slots} generations at once; up to {@code maxWaiting} more wait, and are
 * served strictly in arrival order (a released slot is handed straight to the first waiter, so nobody can overtake
 * it); beyond that, or after waiting {@code maxWait}, a request is turned away with {@link OverloadedException}.
 *
 * <p>The native engine queues extra requests internally where they can no longer be cancelled, so it must never
 * get more requests than it has slots; every caller of {@link Engine#generate} comes through here first.
 */
public final class AdmissionQueue {
    private final int slots;
    private final int maxWaiting;
    private final Duration maxWait;
    /** Guarded by this: slots held, and the waiters in arrival order. */
    private int inUse;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

    /** One waiting request; its own monitor, so a release wakes exactly the waiter it hands the slot to. */
    private static final class Waiter {
        private boolean handedASlot; // guarded by the waiter itself
    }

    public AdmissionQueue(int slots, int maxWaiting, Duration maxWait) {
        this.slots = slots;
        this.maxWaiting = maxWaiting;
        this.maxWait = maxWait;
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
        Waiter me = new Waiter();
        synchronized (this) {
            if (inUse < slots && waiters.isEmpty()) {
                inUse++;
                return slot();
            }
            if (waiters.size() >= maxWaiting) {
                throw new OverloadedException("The server is busy: " + slots + " requests are being generated and "
                        + waiters.size() + " are waiting. Try again shortly.");
            }
            waiters.addLast(me);
        }
        long deadline = System.nanoTime() + maxWait.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                synchronized (me) {
                    if (!me.handedASlot && left > 0) {
                        TimeUnit.NANOSECONDS.timedWait(me, Math.min(TimeUnit.MILLISECONDS.toNanos(checkEveryMillis),
                                left));
                    }
                    if (me.handedASlot) {
                        return slot();
                    }
                }
                if (deadline - System.nanoTime() <= 0) {
                    if (leave(me)) {
                        throw new OverloadedException("The server is busy: no slot became free within "
                                + describe(maxWait) + ". Try again shortly.");
                    }
                    return slot(); // handed one at the last moment
                }
                if (!stillWanted.getAsBoolean()) {
                    if (!leave(me)) {
                        release(); // handed one meanwhile: pass it on
                    }
                    return null;
                }
            }
        } catch (InterruptedException e) {
            if (!leave(me)) {
                release();
            }
            throw e;
        }
    }

    /** Takes a waiter out of the queue; false when a release has handed it a slot already (it holds one now). */
    private synchronized boolean leave(Waiter waiter) {
        return waiters.remove(waiter);
    }

    private void release() {
        Waiter next;
        synchronized (this) {
            next = waiters.pollFirst();
            if (next == null) {
                inUse--;
                return;
            }
        }
        synchronized (next) { // the slot goes to the first waiter directly: inUse stays as it is
            next.handedASlot = true;
            next.notifyAll();
        }
    }

    private static String describe(Duration d) {
        return d.compareTo(Duration.ofSeconds(1)) < 0 ? d.toMillis() + " ms" : d.toSeconds() + " s";
    }

    private Slot slot() {
        return new Slot() {
            private boolean released;

            @Override
            public synchronized void close() {
                if (!released) {
                    released = true;
                    release();
                }
            }
        };
    }

    public int slots() {
        return slots;
    }

    public synchronized int inUse() {
        return inUse;
    }

    public synchronized int waiting() {
        return waiters.size();
    }
}
