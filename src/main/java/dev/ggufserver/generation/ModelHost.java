package dev.ggufserver.generation;

import java.util.Optional;

/**
 * Holds the served model through its life: loading (the HTTP server is already up and answers 503), ready, or
 * failed to load.
 */
public final class ModelHost {
    public enum Status { LOADING, READY, FAILED }

    private volatile ServedModel model;
    private volatile String failure;

    public Status status() {
        if (model != null) {
            return Status.READY;
        }
        return failure != null ? Status.FAILED : Status.LOADING;
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
