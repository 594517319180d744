package dev.ggufserver.generation;

import dev.ggufserver.engine.ModelInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The models this server serves, by id, each through its life (loading: the HTTP server is already up and
 * answers 503; ready; failed to load), and the server's own: draining for shutdown (running completions finish,
 * new ones are turned away). The first model is the default, for requests that name none.
 */
public final class ModelHost {
    public enum Status { LOADING, READY, FAILED, DRAINING }

    /** One served model: what is known before it loads, then the loaded model or why it failed. */
    public static final class Entry {
        private final ModelInfo info;
        private volatile ServedModel model;
        private volatile String failure;

        private Entry(ModelInfo info) {
            this.info = info;
        }

        public ModelInfo info() {
            return model != null ? model.info() : info;
        }

        public String id() {
            return info.id();
        }

        public Optional<ServedModel> model() {
            return Optional.ofNullable(model);
        }

        public String failure() {
            return failure;
        }

        public Status status() {
            return model != null ? Status.READY : failure != null ? Status.FAILED : Status.LOADING;
        }
    }

    /** In serving order: the first is the default. */
    private final List<Entry> entries = new CopyOnWriteArrayList<>();
    private final Map<String, Entry> byId = new ConcurrentHashMap<>();
    /** Why the server has no model at all (its only model failed before it was known). */
    private volatile String failure;
    private volatile boolean draining;
    private int inFlight;

    /** Announces a model that is about to load; ids are unique. */
    public synchronized Entry expect(ModelInfo info) {
        if (byId.containsKey(info.id())) {
            throw new IllegalArgumentException("two models are served as '" + info.id() + "'");
        }
        Entry entry = new Entry(info);
        entries.add(entry);
        byId.put(info.id(), entry);
        return entry;
    }

    /** The default model's status, or the server's while it drains. */
    public Status status() {
        if (draining) {
            return Status.DRAINING;
        }
        Entry first = defaultEntry();
        if (first == null) {
            return failure != null ? Status.FAILED : Status.LOADING;
        }
        return first.status();
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

    /** The default model, once loaded. */
    public Optional<ServedModel> current() {
        Entry first = defaultEntry();
        return first == null ? Optional.empty() : first.model();
    }

    /** Every served model, loaded or not, in serving order. */
    public List<Entry> entries() {
        return new ArrayList<>(entries);
    }

    /**
     * The model a request names: its id, or the default when it names none. A server of one model answers with
     * it whatever the name (clients send names of their own: "gpt-4o", "default"); with several, an unknown name
     * is empty.
     */
    public Optional<Entry> resolve(String requested) {
        Entry first = defaultEntry();
        if (requested == null || requested.isBlank()) {
            return Optional.ofNullable(first);
        }
        Entry named = byId.get(requested);
        if (named != null) {
            return Optional.of(named);
        }
        return entries.size() == 1 ? Optional.of(first) : Optional.empty();
    }

    /** A model has loaded: under its id (announced or not; the first becomes the default). */
    public synchronized void ready(ServedModel loaded) {
        Entry entry = byId.get(loaded.info().id());
        if (entry == null) {
            entry = expect(loaded.info());
        }
        entry.model = loaded;
    }

    /** The default model (or the server, before any model is known) failed to load. */
    public void failed(String reason) {
        Entry first = defaultEntry();
        if (first == null) {
            failure = reason;
        } else {
            first.failure = reason;
        }
    }

    /** A model failed to load. */
    public void failed(String id, String reason) {
        Entry entry = byId.get(id);
        if (entry != null) {
            entry.failure = reason;
        }
    }

    /** Why the default model (or the server) failed, or null. */
    public String failure() {
        Entry first = defaultEntry();
        return first == null ? failure : first.failure;
    }

    private Entry defaultEntry() {
        return entries.isEmpty() ? null : entries.get(0);
    }
}
