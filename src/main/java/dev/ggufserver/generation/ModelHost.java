package dev.ggufserver.generation;

import java.time.Duration;
import java.util.Optional;

/**
 * Holds the served model through its life: loading (the HTTP server is already up and answers 503), ready,
 * failed to load, or draining for shutdown (running completions finish, new ones are turned away).
 */
public final class ModelHost {
    public enum Status { LOADING, READY, FAILED, DRAINING }

    private volatile ServedModel model;
    private volatile String failure;
    private volatile boolean draining;
    private int inFlight;

    public Status status() {
        if (draining) {
            return Status.DRAINING;
        }
        if (model != null) {
            return Status.READY;
        }
        return failure != null ? Status.FAILED : Status.LOADING;
    }

    /**
     * Counts a completion in; false when the server is draining and it must be turned away. Every true is
     * followed by one {@link #leave()}.
     */
    public synchronized boolean enter() {
        if (draining) {
            return false;
        }
        inFlight++;
        return true;
    }

    public synchronized void leave() {
        inFlight--;
        notifyAll();
    }

    /** Turns new completions away and waits up to {@code grace} for running ones; true when all finished. */
    public synchronized boolean drain(Duration grace) throws InterruptedException {
        draining = true;
        long deadline = System.nanoTime() + grace.toNanos();
        while (inFlight > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    public Optional<ServedModel> current() {
        return Optional.ofNullable(model);
    }

    public void ready(ServedModel loaded) {
        this.model = loaded;
    }

    public void failed(String reason) {
        this.failure = reason;
    }

    public String failure() {
        return failure;
    }
}
