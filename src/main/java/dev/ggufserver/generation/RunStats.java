package dev.ggufserver.generation;

import java.util.concurrent.TimeUnit;

/** Counts how completions ended; the basis for metrics, and what tests use to see that work was stopped. */
public final class RunStats {
    private long finished;
    private long clientGone;
    private long tokensOfLastClientGone;

    synchronized void recordFinished() {
        finished++;
        notifyAll();
    }

    synchronized void recordClientGone(int tokensGenerated) {
        clientGone++;
        tokensOfLastClientGone = tokensGenerated;
        notifyAll();
    }

    public synchronized long finished() {
        return finished;
    }

    public synchronized long clientGone() {
        return clientGone;
    }

    /** Tokens the engine had generated when the last departed client's generation stopped. */
    public synchronized long tokensOfLastClientGone() {
        return tokensOfLastClientGone;
    }

    /** Waits until at least {@code count} generations have ended because their client left. */
    public synchronized boolean awaitClientGone(long count, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (clientGone < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
