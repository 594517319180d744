package dev.ggufserver.generation;

import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.ModelInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The models this server serves, by id, each through its life (loading: the HTTP server is already up and
 * answers 503; ready; failed to load; unloaded, to be loaded again on its next request), and the server's own:
 * draining for shutdown (running completions finish, new ones are turned away). The first model is the default,
 * for requests that name none.
 *
 * <p>A model with a {@link Loader} loads on demand: a request takes a {@link Lease} on it, which loads it if need
 * be (others asking meanwhile wait for the same load), and while any lease is open the model is never unloaded.
 * With a limit on loaded models ({@link #limitLoaded}), loading one first unloads the least recently used idle one,
 * or waits until one is idle.
 */
public final class ModelHost {
    public enum Status { LOADING, READY, FAILED, DRAINING, UNLOADED }

    /** Starts a model (its engine process) and serves it; unloading ends that process. */
    public interface Loader {
        ServedModel load() throws EngineException;

        void unload(ServedModel model);
    }

    /** One served model: what is known before it loads, then the loaded model or why it failed. */
    public static final class Entry {
        private final ModelInfo info;
        private final Loader loader;
        private volatile ServedModel model;
        private volatile String failure;
        private volatile boolean loading;
        /** Open leases; guarded by the host. */
        private int leases;
        /** When the last lease closed (System.nanoTime); guarded by the host. */
        private long lastUsed = System.nanoTime();
        /** How long it stays loaded when idle, as the last request asked; null: the server's keep-alive. */
        private volatile Duration keepAlive;

        private Entry(ModelInfo info, Loader loader) {
            this.info = info;
            this.loader = loader;
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
            if (model != null) {
                return Status.READY;
            }
            if (loading || loader == null) {
                return failure != null && !loading ? Status.FAILED : Status.LOADING;
            }
            return failure != null ? Status.FAILED : Status.UNLOADED;
        }
    }

    /** A hold on a loaded model for one request: while it is open the model stays loaded. */
    public final class Lease implements AutoCloseable {
        private final Entry entry;
        private final ServedModel model;
        private boolean closed;

        private Lease(Entry entry, ServedModel model) {
            this.entry = entry;
            this.model = model;
        }

        public ServedModel model() {
            return model;
        }

        /**
         * How long the model stays loaded once idle after this request (Ollama's {@code keep_alive}): zero unloads
         * it as soon as no request holds it, {@link #KEEP_LOADED} never; null: the server's keep-alive. The last
         * request to set it decides.
         */
        public void keepAlive(Duration afterThis) {
            entry.keepAlive = afterThis;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                release(entry);
            }
        }
    }

    /** A keep-alive that never unloads. */
    public static final Duration KEEP_LOADED = java.time.temporal.ChronoUnit.FOREVER.getDuration();

    /** In serving order: the first is the default. */
    private final List<Entry> entries = new CopyOnWriteArrayList<>();
    private final Map<String, Entry> byId = new ConcurrentHashMap<>();
    /** Why the server has no model at all (its only model failed before it was known). */
    private volatile String failure;
    private volatile boolean draining;
    private volatile boolean startedUp;
    private int inFlight;
    /** Most models loaded at once; 0: no limit. */
    private int maxLoaded;
    /** Models whose requests wait for room to load them (every loaded model in use); guarded by this. */
    private final java.util.Set<Entry> waitingForRoom = new java.util.HashSet<>();
    /** Finds a model that is not announced yet by the name a request gives (e.g. a file pulled since), or null. */
    private volatile Function<String, Optional<Entry>> discovery;

    /** Announces a model that is about to be loaded by its caller ({@link #ready}); ids are unique. */
    public synchronized Entry expect(ModelInfo info) {
        return expect(info, null);
    }

    /** Announces a model that {@code loader} loads on its first {@link #lease} (null: loaded by the caller). */
    public synchronized Entry expect(ModelInfo info, Loader loader) {
        if (byId.containsKey(info.id())) {
            throw new IllegalArgumentException("two models are served as '" + info.id() + "'");
        }
        Entry entry = new Entry(info, loader);
        entries.add(entry);
        byId.put(info.id(), entry);
        return entry;
    }

    /**
     * Lets requests name models that were not announced: {@code discover} looks for one by that name and announces
     * it ({@link #expect(ModelInfo, Loader)}), or finds none. Unknown names then never fall back to the default.
     */
    public void discoverWith(Function<String, Optional<Entry>> discover) {
        this.discovery = discover;
    }

    /** At most {@code max} models loaded at once (0: no limit). */
    public synchronized void limitLoaded(int max) {
        this.maxLoaded = max;
    }

    /**
     * Holds {@code entry} loaded for one request, loading it first if need be (and, at the limit, unloading the
     * least recently used idle model, or waiting until one is idle). Every lease is closed.
     *
     * @throws EngineException when the model fails to load (the next request tries again)
     */
    public Lease lease(Entry entry) throws EngineException, InterruptedException {
        synchronized (this) {
            // fairness: while another model waits for room, a loaded model takes no new requests, so it goes idle
            // and makes room; without this a model in steady use would keep the other from ever loading
            while (entry.model != null && !waitingForRoom.isEmpty() && !waitingForRoom.contains(entry)) {
                wait();
            }
            entry.leases++; // counted before it loads: nobody unloads it between its load and its use
        }
        try {
            return new Lease(entry, load(entry));
        } catch (EngineException | InterruptedException | RuntimeException e) {
            release(entry);
            throw e;
        }
    }

    private ServedModel load(Entry entry) throws EngineException, InterruptedException {
        List<ServedModel> evicted = new ArrayList<>();
        synchronized (this) {
            try {
                while (true) {
                    if (entry.model != null) {
                        return entry.model;
                    }
                    if (entry.loader == null && entry.failure != null) {
                        throw new EngineException(entry.failure);
                    }
                    if (entry.loading || entry.loader == null) {
                        wait(); // being loaded: by another request, or by the server at start
                        continue;
                    }
                    if (maxLoaded > 0 && loaded() >= maxLoaded) {
                        Entry idle = leastRecentlyUsedIdle();
                        if (idle == null) {
                            waitingForRoom.add(entry);
                            wait(); // every loaded model is in use: the first to go idle makes room
                        } else {
                            evicted.add(idle.model);
                            idle.model = null;
                        }
                        continue;
                    }
                    break;
                }
            } finally {
                if (waitingForRoom.remove(entry)) {
                    notifyAll(); // the loaded models' held-back requests go on
                }
            }
            entry.loading = true;
        }
        for (ServedModel model : evicted) {
            unload(model);
        }
        ServedModel loaded;
        try {
            loaded = entry.loader.load();
        } catch (EngineException | RuntimeException e) {
            synchronized (this) {
                entry.loading = false;
                entry.failure = e.getMessage();
                notifyAll();
            }
            throw e;
        }
        synchronized (this) {
            entry.model = loaded;
            entry.failure = null;
            entry.loading = false;
            notifyAll();
        }
        return loaded;
    }

    private int loaded() {
        int n = 0;
        for (Entry e : entries) {
            if (e.model != null || e.loading) {
                n++;
            }
        }
        return n;
    }

    private Entry leastRecentlyUsedIdle() {
        Entry best = null;
        for (Entry e : entries) {
            if (e.model != null && e.leases == 0 && e.loader != null
                    && (best == null || e.lastUsed < best.lastUsed)) {
                best = e;
            }
        }
        return best;
    }

    private void release(Entry entry) {
        ServedModel unloaded = null;
        synchronized (this) {
            entry.leases--;
            entry.lastUsed = System.nanoTime();
            if (entry.leases == 0 && Duration.ZERO.equals(entry.keepAlive) && entry.model != null
                    && entry.loader != null) {
                unloaded = entry.model; // keep_alive 0: unloaded as soon as its last request ends
                entry.model = null;
            }
            notifyAll();
        }
        if (unloaded != null) {
            unload(unloaded);
        }
    }

    private void unload(ServedModel model) {
        for (Entry e : entries) {
            if (e.info.id().equals(model.info().id()) && e.loader != null) {
                e.loader.unload(model);
                return;
            }
        }
    }

    /**
     * Unloads every model idle for its keep-alive or longer: the one its last request asked for, else
     * {@code serverKeepAlive} (null: never). Only models with a loader: they load again on demand.
     */
    public void unloadIdle(Duration serverKeepAlive) {
        List<ServedModel> evicted = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            for (Entry e : entries) {
                Duration idle = e.keepAlive != null ? e.keepAlive : serverKeepAlive;
                if (idle == null || idle.equals(KEEP_LOADED)) {
                    continue;
                }
                if (e.model != null && e.leases == 0 && e.loader != null
                        && now - e.lastUsed >= idle.toNanos()) {
                    evicted.add(e.model);
                    e.model = null;
                }
            }
        }
        evicted.forEach(this::unload);
    }

    /** Unloads every loaded model (the server is stopping). */
    public void unloadAll() {
        List<ServedModel> evicted = new ArrayList<>();
        synchronized (this) {
            for (Entry e : entries) {
                if (e.model != null && e.loader != null) {
                    evicted.add(e.model);
                    e.model = null;
                }
            }
        }
        evicted.forEach(this::unload);
    }

    /** The default model's status, or the server's while it drains; loading until the server has started. */
    public Status status() {
        if (draining) {
            return Status.DRAINING;
        }
        Entry first = defaultEntry();
        if (first == null) {
            return failure != null ? Status.FAILED : Status.LOADING;
        }
        Status status = first.status();
        return status == Status.UNLOADED && !startedUp ? Status.LOADING : status;
    }

    /** The server has loaded what it loads at start: from now on models load on demand. */
    public void startedUp() {
        startedUp = true;
    }

    public boolean isStartedUp() {
        return startedUp;
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
        Function<String, Optional<Entry>> discover = discovery;
        if (discover != null) {
            synchronized (this) { // one discovery per name, however many ask at once
                named = byId.get(requested);
                return named != null ? Optional.of(named) : discover.apply(requested);
            }
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
        notifyAll();
    }

    /** The default model (or the server, before any model is known) failed to load. */
    public synchronized void failed(String reason) {
        Entry first = defaultEntry();
        if (first == null) {
            failure = reason;
        } else {
            first.failure = reason;
        }
        notifyAll();
    }

    /** A model failed to load. */
    public synchronized void failed(String id, String reason) {
        Entry entry = byId.get(id);
        if (entry != null) {
            entry.failure = reason;
        }
        notifyAll();
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
