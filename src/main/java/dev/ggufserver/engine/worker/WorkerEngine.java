package dev.ggufserver.engine.worker;

import static dev.ggufserver.engine.worker.WorkerProtocol.CANCEL;
import static dev.ggufserver.engine.worker.WorkerProtocol.EMBED;
import static dev.ggufserver.engine.worker.WorkerProtocol.GENERATE;
import static dev.ggufserver.engine.worker.WorkerProtocol.SHUTDOWN;
import static dev.ggufserver.engine.worker.WorkerProtocol.TEST_HOOK;

import dev.ggufserver.engine.ContextLengthExceededException;
import dev.ggufserver.engine.Embedding;
import dev.ggufserver.engine.EmbeddingInput;
import dev.ggufserver.engine.InputTooLongException;
import dev.ggufserver.engine.Engine;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.EngineStatus;
import dev.ggufserver.engine.EngineUnavailableException;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationListener;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.GenerationResult;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.engine.NativeLibrary;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine as the server sees it: the native engine runs in a supervised child process ({@link WorkerMain}), so
 * a crash, an abort or a hung native call costs the requests in flight and a restart, never the server.
 *
 * <ul>
 *   <li>Every in-flight request of a worker that dies ends with an {@link EngineException}; /health reports the
 *       outage ({@link #status()}); the worker is restarted with exponential backoff.</li>
 *   <li>The watchdog: a generation that reports nothing for {@code watchdog} is cancelled; if the worker cannot
 *       even cancel it (the generating thread is stuck in native code), the worker is restarted.</li>
 *   <li>Cancellation is a message; the worker cancels on its generating thread between pieces, and this side
 *       waits for the worker's DONE before giving the slot back, so the native engine never has more requests
 *       than slots.</li>
 * </ul>
 */
public final class WorkerEngine implements Engine {
    private static final Logger log = LoggerFactory.getLogger(WorkerEngine.class);
    /** A worker that served this long before dying starts the backoff over. */
    private static final Duration HEALTHY_UPTIME = Duration.ofSeconds(60);
    /** The heartbeat: a PING this often; a worker silent for {@link #SILENCE_LIMIT} is reported unavailable. */
    static final Duration HEARTBEAT = Duration.ofSeconds(1);
    static final Duration SILENCE_LIMIT = Duration.ofSeconds(5);

    /**
     * How to run the worker.
     *
     * @param watchdog       longest silence of a generation before it is cancelled (and the worker restarted if
     *                       it cannot cancel); must exceed the slowest prompt processing
     * @param restartDelay   first delay before restarting a dead worker; doubles while it keeps dying…
     * @param maxRestartDelay …up to this
     * @param testHooks      lets tests crash, abort or stall the worker on purpose
     * @param embeddings     load an embedding model in embedding mode
     * @param pooling        for an embedding model that declares no pooling, how to pool; null for its own
     * @param nativeLibraries the native library each worker loads, shared by the server's engines: one that fails
     *                       is not tried again, and the worker is started on the next (at last the bundled one)
     * @param gpuLayers      layers to offload to a GPU, or {@link NativeLibrary#GPU_LAYERS_AUTO} for what suits
     *                       the library each worker loads
     */
    public record Settings(Path model, int contextPerRequest, int parallel, int threads, boolean nativeLogs,
                           Duration watchdog, Duration restartDelay, Duration maxRestartDelay, boolean testHooks,
                           boolean embeddings, String pooling, NativeLibraries nativeLibraries, int gpuLayers) {
        /** For a model that generates, on the bundled native library. */
        public Settings(Path model, int contextPerRequest, int parallel, int threads, boolean nativeLogs,
                        Duration watchdog, Duration restartDelay, Duration maxRestartDelay, boolean testHooks) {
            this(model, contextPerRequest, parallel, threads, nativeLogs, watchdog, restartDelay, maxRestartDelay,
                    testHooks, false, null, NativeLibraries.bundledOnly(), NativeLibrary.GPU_LAYERS_AUTO);
        }
    }

    private final Settings settings;
    private final ModelInfo info;
    private final ScheduledExecutorService supervisor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "engine-supervisor");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong restarts = new AtomicLong();
    private volatile WorkerConnection current;
    /** The library of the last worker that got ready. */
    private volatile NativeLibrary library;
    private volatile EngineStatus status = EngineStatus.unavailable("the engine is starting");
    private volatile boolean closing;
    private int consecutiveFailures;

    private WorkerEngine(Settings settings, ModelInfo info) {
        this.settings = settings;
        this.info = info;
    }

    /** Starts the worker and waits until it has loaded the model. */
    public static WorkerEngine start(Settings settings, ModelInfo info) throws EngineException {
        WorkerConnection.removeLeftovers();
        WorkerEngine engine = new WorkerEngine(settings, info);
        WorkerConnection first = engine.startWorker();
        engine.becomeCurrent(first);
        engine.supervisor.scheduleAtFixedRate(engine::heartbeat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(),
                TimeUnit.MILLISECONDS);
        return engine;
    }

    /**
     * Starts a worker on the preferred native library; when that library fails in it, on the next one at once (it
     * is the library's fault, not the model's: no backoff, and no restart counted), down to the bundled one. The
     * loop ends: every turn marks one library failed, and the last is not retried.
     */
    private WorkerConnection startWorker() throws EngineException {
        NativeLibraries libraries = settings.nativeLibraries();
        while (true) {
            NativeLibrary chosen = libraries.current();
            try {
                return WorkerConnection.start(settings, chosen, this::onDeath);
            } catch (NativeLibraryException e) {
                if (!libraries.failed(chosen, e.getMessage())) {
                    throw new EngineException(e.getMessage() + (chosen.source() == NativeLibrary.Source.OPTION
                            ? " (the library given with --native-lib; the server does not fall back from it)" : ""));
                }
            }
        }
    }

    /**
     * Serves from a worker that has just said READY. It may have died since: its death was then ignored (it was
     * not current yet), so it is handled here, under the same lock as {@link #onDeath}.
     */
    private synchronized boolean becomeCurrent(WorkerConnection fresh) {
        if (closing) {
            fresh.kill("the server is shutting down");
            return false;
        }
        current = fresh;
        library = fresh.library();
        status = EngineStatus.READY;
        if (fresh.isDead()) {
            onDeath(fresh, "it stopped right after loading the model");
            return false;
        }
        return true;
    }

    private void heartbeat() {
        WorkerConnection c = current;
        if (c != null && !c.isDead()) {
            c.ping();
        }
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    /** Ready only while a live worker answers the heartbeat; otherwise why not. */
    @Override
    public EngineStatus status() {
        EngineStatus s = status;
        WorkerConnection c = current;
        if (!s.ready()) {
            return s;
        }
        if (c == null) {
            return EngineStatus.unavailable("the engine process has stopped; restarting");
        }
        String death = c.deathReason();
        if (death != null) { // the supervisor is about to hear it: say what onDeath will say
            return EngineStatus.unavailable("the engine process stopped (" + death + "); restarting");
        }
        Duration silent = c.silentFor();
        if (silent.compareTo(SILENCE_LIMIT) > 0) {
            return EngineStatus.unavailable("the engine process has not answered for " + silent.toSeconds() + " s");
        }
        return s;
    }

    @Override
    public Optional<NativeLibrary> nativeLibrary() {
        return Optional.ofNullable(library);
    }

    /** How many times the worker has been restarted since the server started. */
    public long restarts() {
        return restarts.get();
    }

    /** Frames the current worker sent for requests no one waited for (0 unless a slot was handed back early). */
    long unclaimedFrames() {
        WorkerConnection c = current;
        return c == null ? 0 : c.unclaimedFrames();
    }

    /** The worker's process id, while one runs. */
    public OptionalLong workerPid() {
        WorkerConnection c = current;
        return c == null ? OptionalLong.empty() : OptionalLong.of(c.pid());
    }

    private WorkerConnection ready() throws EngineUnavailableException {
        WorkerConnection c = current;
        if (c == null || c.isDead()) {
            throw new EngineUnavailableException("The engine is not available right now: " + status.detail());
        }
        return c;
    }

    @Override
    public GenerationResult generate(GenerationRequest request, GenerationListener listener) throws EngineException {
        WorkerConnection c = ready();
        long id = ids.incrementAndGet();
        BlockingQueue<WorkerConnection.Event> events = c.register(id);
        boolean cancelSent = false;
        try {
            sendRequest(c, GENERATE, b -> {
                b.writeLong(id);
                WorkerProtocol.writeRequest(b, request);
            });
            while (true) {
                WorkerConnection.Event event = events.poll(settings.watchdog().toMillis(), TimeUnit.MILLISECONDS);
                if (event == null) {
                    throw watchdog(c, id, events);
                }
                if (event instanceof WorkerConnection.Started started) {
                    listener.onStart(started.promptTokens());
                } else if (event instanceof WorkerConnection.Piece piece) {
                    if (!cancelSent && !listener.onPiece(piece.text(), piece.tokens())) {
                        c.send(CANCEL, b -> b.writeLong(id)); // DONE follows within one token
                        cancelSent = true;
                    }
                } else if (event instanceof WorkerConnection.Done done) {
                    return cancelSent ? new GenerationResult(FinishReason.CANCELLED, done.tokens())
                            : new GenerationResult(done.reason(), done.tokens());
                } else if (event instanceof WorkerConnection.TooLong tooLong) {
                    throw new ContextLengthExceededException(tooLong.promptTokens(), tooLong.contextTokens());
                } else {
                    throw failure(event, "generating");
                }
            }
        } catch (IOException e) {
            throw new EngineException("lost the connection to the engine process: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            cancelAndAwaitDone(c, id, events);
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted while generating");
        } catch (RuntimeException e) { // the listener failed: the worker must not go on for nobody
            cancelAndAwaitDone(c, id, events);
            throw e;
        } finally {
            c.unregister(id);
        }
    }

    @Override
    public List<Embedding> embed(List<EmbeddingInput> inputs) throws EngineException {
        WorkerConnection c = ready();
        long id = ids.incrementAndGet();
        BlockingQueue<WorkerConnection.Event> events = c.register(id);
        try {
            sendRequest(c, EMBED, b -> {
                b.writeLong(id);
                WorkerProtocol.writeInputs(b, inputs);
            });
            WorkerConnection.Event event = events.poll(settings.watchdog().toMillis(), TimeUnit.MILLISECONDS);
            if (event == null) {
                throw watchdog(c, id, events);
            }
            if (event instanceof WorkerConnection.Embedded embedded) {
                return embedded.embeddings();
            }
            if (event instanceof WorkerConnection.InputTooLong tooLong) {
                throw new InputTooLongException(tooLong.index(), tooLong.tokens(), tooLong.limit());
            }
            throw failure(event, "embedding");
        } catch (InterruptedException e) {
            cancelAndAwaitDone(c, id, events); // the worker finishes the batch; its slot is free only then
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted while embedding");
        } finally {
            c.unregister(id);
        }
    }

    /** Sends a request's first frame; a worker that cannot take it means nothing started: the client may retry. */
    private static void sendRequest(WorkerConnection c, byte type, WorkerProtocol.FrameWriter.Body body)
            throws EngineUnavailableException {
        try {
            c.send(type, body);
        } catch (IOException e) {
            throw new EngineUnavailableException("The engine is not available right now: " + e.getMessage());
        }
    }

    /**
     * Sends CANCEL and waits, for the grace period at most, until the worker has let go of the request (DONE,
     * FAILED, TOO_LONG, or its death): only then is its slot really free, since the native engine must never get
     * more requests than it has slots.
     *
     * @return false when the worker did not let go in time (the caller restarts it)
     */
    private boolean cancelAndAwaitLetGo(WorkerConnection c, long id, BlockingQueue<WorkerConnection.Event> events)
            throws InterruptedException {
        c.trySend(CANCEL, b -> b.writeLong(id));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis());
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            WorkerConnection.Event event = left <= 0 ? null : events.poll(left, TimeUnit.MILLISECONDS);
            if (event == null) {
                return false;
            }
            if (!(event instanceof WorkerConnection.Piece || event instanceof WorkerConnection.Started)) {
                return true;
            }
        }
    }

    private long graceMillis() {
        return Math.min(10_000, settings.watchdog().toMillis());
    }

    /** A caller that leaves early (interrupted, or its listener failed) hands its slot back only once it is free. */
    private void cancelAndAwaitDone(WorkerConnection c, long id, BlockingQueue<WorkerConnection.Event> events) {
        boolean interrupted = Thread.interrupted();
        try {
            if (!cancelAndAwaitLetGo(c, id, events)) {
                c.kill("a cancelled generation did not stop within " + graceMillis() + " ms");
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Nothing came for a whole watchdog period: cancel, and restart the worker if it cannot even do that. */
    private EngineException watchdog(WorkerConnection c, long id, BlockingQueue<WorkerConnection.Event> events)
            throws InterruptedException {
        long seconds = settings.watchdog().toSeconds();
        log.warn("Request {} made no progress for {} s; cancelling it", id, seconds);
        if (cancelAndAwaitLetGo(c, id, events)) {
            return new EngineException("the request made no progress for " + seconds + " s and was stopped");
        }
        c.kill("a generation was stuck for " + seconds + " s and could not be cancelled");
        return new EngineException("the request made no progress for " + seconds
                + " s; the engine was stuck and is being restarted");
    }

    private static EngineException failure(WorkerConnection.Event event, String doing) {
        if (event instanceof WorkerConnection.Failed failed) {
            return new EngineException(failed.message());
        }
        if (event instanceof WorkerConnection.Died died) {
            return new EngineException("the engine process stopped while " + doing + " (" + died.reason() + ")");
        }
        return new EngineException("no answer from the engine process while " + doing);
    }

    // --- supervision

    private synchronized void onDeath(WorkerConnection dead, String reason) {
        if (closing || dead != current) {
            return;
        }
        current = null;
        if (dead.readyFor().compareTo(HEALTHY_UPTIME) >= 0) {
            consecutiveFailures = 0;
        }
        consecutiveFailures++;
        if (dead.diedOfIllegalInstruction()) { // a library built for instructions this CPU lacks: never again
            settings.nativeLibraries().failed(dead.library(), reason);
        }
        Duration delay = restartDelay();
        log.error("The engine process stopped: {}. Restarting it in {} ms", reason, delay.toMillis());
        status = EngineStatus.unavailable("the engine process stopped (" + reason + "); restarting");
        supervisor.schedule(this::restart, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private Duration restartDelay() {
        long base = settings.restartDelay().toMillis();
        long delay = base << Math.min(consecutiveFailures - 1, 20);
        return Duration.ofMillis(Math.min(delay, Math.max(base, settings.maxRestartDelay().toMillis())));
    }

    private void restart() {
        if (closing) {
            return;
        }
        try {
            WorkerConnection fresh = startWorker();
            restarts.incrementAndGet();
            if (becomeCurrent(fresh)) {
                log.info("The engine process is back (pid {})", fresh.pid());
            }
        } catch (EngineException e) {
            synchronized (this) {
                consecutiveFailures++;
                Duration delay = restartDelay();
                log.error("Restarting the engine failed: {}. Next try in {} ms", e.getMessage(), delay.toMillis());
                status = EngineStatus.unavailable("the engine could not be restarted (" + e.getMessage()
                        + "); retrying");
                supervisor.schedule(this::restart, delay.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Test hook, honoured only by a worker started with {@code testHooks}: "exit", "abort" or "stall". */
    public void testHook(String what) throws EngineException {
        try {
            ready().send(TEST_HOOK, b -> WorkerProtocol.writeString(b, what));
        } catch (IOException e) {
            throw new EngineException("cannot reach the engine process: " + e.getMessage(), e);
        }
    }

    /** Stops the worker: asks it to exit, then ends it if it does not. */
    @Override
    public void close() {
        WorkerConnection c;
        synchronized (this) {
            closing = true;
            status = EngineStatus.unavailable("the server is shutting down");
            c = current;
            current = null;
        }
        supervisor.shutdownNow();
        if (c != null) {
            c.trySend(SHUTDOWN, b -> { });
            c.awaitExit(Duration.ofSeconds(5));
            c.kill("the server is shutting down");
        }
    }
}
