package dev.ggufserver.engine.worker;

import static dev.ggufserver.engine.worker.WorkerProtocol.DONE;
import static dev.ggufserver.engine.worker.WorkerProtocol.FAILED;
import static dev.ggufserver.engine.worker.WorkerProtocol.HELLO;
import static dev.ggufserver.engine.worker.WorkerProtocol.LOAD_FAILED;
import static dev.ggufserver.engine.worker.WorkerProtocol.NATIVE_FAILED;
import static dev.ggufserver.engine.worker.WorkerProtocol.PIECE;
import static dev.ggufserver.engine.worker.WorkerProtocol.PONG;
import static dev.ggufserver.engine.worker.WorkerProtocol.READY;
import static dev.ggufserver.engine.worker.WorkerProtocol.STARTED;
import static dev.ggufserver.engine.worker.WorkerProtocol.TOO_LONG;

import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.NativeLibrary;
import dev.ggufserver.engine.llama.NativeLibraryLoader;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker process and its channel: starts it, routes its answers to the waiting requests, and notices its end
 * (exit, crash, closed channel) exactly once.
 */
final class WorkerConnection {
    private static final Logger log = LoggerFactory.getLogger("engine");
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration LOAD_TIMEOUT = Duration.ofMinutes(15);
    static final String DIRECTORY_PREFIX = "gguf-server-engine-";
    /** With test hooks on: how long the starting thread dawdles after READY (a death in that window must count). */
    static final String PAUSE_AFTER_READY_PROPERTY = "gguf-server.engine.pause-after-ready-millis";

    /** What the worker says about one request. */
    sealed interface Event permits Started, Piece, Done, TooLong, Embedded, InputTooLong, Failed, Died {
    }

    record Started(int promptTokens) implements Event {
    }

    record Piece(String text, int tokens) implements Event {
    }

    record Done(FinishReason reason, int tokens) implements Event {
    }

    record Failed(String message) implements Event {
    }

    record TooLong(int promptTokens, int contextTokens) implements Event {
    }

    record Embedded(java.util.List<dev.ggufserver.engine.Embedding> embeddings) implements Event {
    }

    record InputTooLong(int index, int tokens, int limit) implements Event {
    }

    record Died(String reason) implements Event {
    }

    /** Called once when the worker is gone, whatever the cause. */
    interface DeathListener {
        void died(WorkerConnection connection, String reason);
    }

    private final Process process;
    private final Path directory;
    private final NativeLibrary library;
    private final DeathListener deathListener;
    private final Map<Long, BlockingQueue<Event>> pending = new ConcurrentHashMap<>();
    /** Why the worker is gone; null while it lives. Set once, so isDead() and the reason agree at every moment. */
    private final AtomicReference<String> deathReason = new AtomicReference<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    /** Why the worker could not load its native library (NATIVE_FAILED), or null. */
    private volatile String nativeFailure;
    /** Whether the worker refused to start for a reason of its own (LOAD_FAILED, a protocol mismatch). */
    private volatile boolean refused;
    /** Whether its crash report says it died of SIGILL. */
    private volatile boolean illegalInstruction;
    private volatile SocketChannel channel;
    private volatile WorkerProtocol.FrameWriter writer;
    private volatile Instant readyAt;
    /** When the worker last said anything (System.nanoTime): the heartbeat's evidence. */
    private volatile long lastHeard = System.nanoTime();
    private final AtomicLong pings = new AtomicLong();
    private final AtomicLong unclaimed = new AtomicLong();

    private WorkerConnection(Process process, Path directory, NativeLibrary library, DeathListener deathListener) {
        this.process = process;
        this.directory = directory;
        this.library = library;
        this.deathListener = deathListener;
    }

    /** glibc's tunable that has malloc ask for transparent huge pages for what it maps (glibc 2.35 and later). */
    static final String HUGE_PAGES_TUNABLE = "glibc.malloc.hugetlb=1";

    /** The engine process's environment, from the server's (changed in place). */
    static void prepareEnvironment(Map<String, String> environment) {
        // llama.cpp reads LLAMA_ARG_* variables while parsing its parameters: they would silently change it
        environment.keySet().removeIf(name -> name.startsWith("LLAMA_ARG_"));
        // libgomp's default spin (300,000 rounds) lets the compute thread fall asleep between decode steps of
        // concurrent streams; spinning longer matched llama-server's throughput with 4 streams on 2 cores,
        // and unlike OMP_WAIT_POLICY=ACTIVE it still sleeps when idle (docs/PERFORMANCE.md has the numbers)
        if (!environment.containsKey("GOMP_SPINCOUNT") && !environment.containsKey("OMP_WAIT_POLICY")) {
            environment.put("GOMP_SPINCOUNT", "10000000");
        }
        // every token streams the weights (a GB) through the TLB: on 2 MB pages instead of 4 KB ones one stream
        // decoded ~6 % faster. llama.cpp allocates its weight and KV buffers with malloc, which madvises them
        // for huge pages with this tunable, where the kernel's THP mode is "madvise" (common) or "always"; other
        // glibc tunables the user set are kept, and one of their own for hugetlb wins
        String tunables = environment.get("GLIBC_TUNABLES");
        if (tunables == null || tunables.isBlank()) {
            environment.put("GLIBC_TUNABLES", HUGE_PAGES_TUNABLE);
        } else if (!tunables.contains("glibc.malloc.hugetlb=")) {
            environment.put("GLIBC_TUNABLES", tunables + ":" + HUGE_PAGES_TUNABLE);
        }
    }

    /**
     * Starts a worker on {@code library} and returns once it has loaded the model.
     *
     * @throws NativeLibraryException when the worker could not load the library, or died before it loaded the model
     *                                while running a library other than the bundled one
     */
    static WorkerConnection start(WorkerEngine.Settings settings, NativeLibrary library, DeathListener deathListener)
            throws EngineException {
        Path directory;
        ServerSocketChannel listener;
        Path socket;
        try {
            // owner-only on POSIX; the server's pid in the name lets a later start remove it if we are killed
            directory = Files.createTempDirectory(DIRECTORY_PREFIX + ProcessHandle.current().pid() + "-");
            socket = directory.resolve("engine.sock");
            listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            listener.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new EngineException("cannot open the engine's private channel: " + e.getMessage(), e);
        }
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder(command(settings, library, directory, socket));
            prepareEnvironment(builder.environment());
            process = builder.start();
        } catch (IOException e) {
            closeQuietly(listener);
            throw new EngineException("cannot start the engine process: " + e.getMessage(), e);
        }
        WorkerConnection connection = new WorkerConnection(process, directory, library, deathListener);
        pipeToLog(process.getInputStream(), process.pid());
        pipeToLog(process.getErrorStream(), process.pid());
        // from the start, so that an exit at any moment is noticed (die() runs once, whoever sees it first)
        process.onExit().thenAccept(p -> connection.die(describeExit(p)));
        // stdin stays open and unused: the worker exits when it closes, i.e. when this process is gone
        try {
            connection.connect(listener);
            waitFor(CompletableFuture.anyOf(connection.ready, process.onExit()), LOAD_TIMEOUT);
            if (!connection.ready.isDone()) {
                throw connection.startFailure("the engine process exited while loading the model ("
                        + describeExit(process) + ")");
            }
            connection.ready.get();
            if (settings.testHooks()) {
                pauseAfterReadyForTest();
            }
        } catch (ExecutionException e) {
            connection.kill("it failed to load the model");
            throw connection.startFailure("the engine could not load the model: " + e.getCause().getMessage());
        } catch (EngineException e) {
            connection.kill("it failed to start");
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connection.kill("interrupted while starting");
            throw new EngineException("interrupted while starting the engine");
        } finally {
            closeQuietly(listener);
            deleteQuietly(socket);
        }
        log.info("Engine process {} is ready, on the {}", process.pid(), library.describe());
        return connection; // perhaps dead already: the death listener has been told, and the caller checks
    }

    /**
     * Why a start failed: the native library when the worker said so, or when a worker on a library other than the
     * bundled one died before it could load the model without giving a reason of its own; otherwise {@code message}.
     */
    private EngineException startFailure(String message) {
        String nativeMessage = nativeFailure;
        if (nativeMessage != null) {
            return new NativeLibraryException(nativeMessage);
        }
        if (!refused && !library.bundled() && awaitExit(Duration.ofSeconds(2))) {
            return new NativeLibraryException("the engine process died while starting on " + library.location()
                    + " (" + describeExit(process) + ")");
        }
        return new EngineException(message);
    }

    private static void pauseAfterReadyForTest() throws InterruptedException {
        long millis = Long.getLong(PAUSE_AFTER_READY_PROPERTY, 0);
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }

    /**
     * Removes what earlier servers' workers left in the temporary directory when those servers were killed before
     * they could clean up (their pid is in the directory's name and no longer runs). Crash reports stay.
     */
    static void removeLeftovers() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> entries = Files.list(tmp)) {
            for (Path dir : entries.toList()) {
                String name = dir.getFileName().toString();
                if (!name.startsWith(DIRECTORY_PREFIX) || !Files.isDirectory(dir)) {
                    continue;
                }
                String rest = name.substring(DIRECTORY_PREFIX.length());
                int dash = rest.indexOf('-');
                long owner;
                try {
                    owner = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                } catch (NumberFormatException e) {
                    continue; // not one of ours
                }
                if (ProcessHandle.of(owner).isEmpty()) {
                    cleanDirectory(dir);
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("Could not look for leftover engine directories: {}", e.toString());
        }
    }

    private static List<String> command(WorkerEngine.Settings settings, NativeLibrary library, Path directory,
                                        Path socket) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.add("-Xmx512m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:-CreateCoredumpOnCrash");
        command.add("-XX:ErrorFile=" + directory.resolve("hs_err_pid%p.log"));
        // the binding extracts its native library (5 MB) there, and the directory goes when the worker does
        command.add("-Dde.kherud.llama.tmpdir=" + directory);
        if (settings.testHooks()) {
            command.add("-D" + WorkerMain.TEST_HOOKS_PROPERTY + "=true");
            String exitAfterReady = System.getProperty(WorkerMain.EXIT_AFTER_READY_PROPERTY);
            if (exitAfterReady != null) {
                command.add("-D" + WorkerMain.EXIT_AFTER_READY_PROPERTY + "=" + exitAfterReady);
            }
        }
        // the library the server chose; the worker loads it itself first (NativeLibraryLoader). These come after
        // JAVA_TOOL_OPTIONS, so they win over a lib.path given there
        library.file().ifPresent(file -> {
            command.add("-Dde.kherud.llama.lib.path=" + file.getParent());
            command.add("-D" + NativeLibraryLoader.LIBRARY_PROPERTY + "=" + file);
        });
        // the binding's other settings belong to the engine process (lib.path is the server's choice, above)
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("de.kherud.llama.") && !name.equals("de.kherud.llama.tmpdir")
                    && !name.equals("de.kherud.llama.lib.path")) {
                command.add("-D" + name + "=" + System.getProperty(name));
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(WorkerMain.class.getName());
        command.add(socket.toString());
        command.add(settings.model().toAbsolutePath().toString());
        command.add(String.valueOf(settings.contextPerRequest()));
        command.add(String.valueOf(settings.parallel()));
        command.add(String.valueOf(settings.threads()));
        command.add(String.valueOf(settings.nativeLogs()));
        command.add(String.valueOf(settings.embeddings()));
        command.add(settings.pooling() == null ? "" : settings.pooling());
        command.add(String.valueOf(library.gpuLayers(settings.gpuLayers())));
        return command;
    }

    /** Accepts the worker's connection and starts reading what it says. */
    private void connect(ServerSocketChannel listener) throws EngineException, InterruptedException {
        CompletableFuture<SocketChannel> accepted = new CompletableFuture<>();
        Thread acceptor = new Thread(() -> {
            try {
                accepted.complete(listener.accept());
            } catch (IOException e) {
                accepted.completeExceptionally(e);
            }
        }, "engine-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        waitFor(CompletableFuture.anyOf(accepted, process.onExit()), CONNECT_TIMEOUT);
        if (!accepted.isDone() || accepted.isCompletedExceptionally()) {
            throw new EngineException("the engine process did not connect (" + describeExit(process) + ")");
        }
        channel = accepted.join();
        writer = new WorkerProtocol.FrameWriter(WorkerProtocol.outputOf(channel));
        Thread reader = new Thread(this::read, "engine-reader-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    private static void waitFor(CompletableFuture<?> future, Duration timeout)
            throws InterruptedException, EngineException {
        try {
            future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new EngineException("the engine process did not get ready within " + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            // looked at by the caller
        }
    }

    private void read() {
        String reason = "its channel closed";
        try {
            DataInputStream in = WorkerProtocol.input(WorkerProtocol.inputOf(channel));
            for (WorkerProtocol.Frame f = WorkerProtocol.read(in); f != null; f = WorkerProtocol.read(in)) {
                DataInputStream body = f.body();
                lastHeard = System.nanoTime();
                switch (f.type()) {
                    case HELLO -> {
                        int version = body.readInt();
                        if (version != WorkerProtocol.VERSION) {
                            refused = true;
                            ready.completeExceptionally(new IOException("protocol version " + version
                                    + " where " + WorkerProtocol.VERSION + " was expected"));
                        }
                    }
                    case READY -> {
                        readyAt = Instant.now(); // before anyone can learn it is ready: a death after counts
                        int vocabulary = body.readInt();
                        boolean addsBos = body.readBoolean();
                        int context = body.readInt();
                        int parallel = body.readInt();
                        log.info("Engine process {} loaded the model: {} tokens in its vocabulary, BOS {}, {} slots "
                                + "of {} tokens", process.pid(), vocabulary, addsBos ? "added" : "not added", parallel,
                                context);
                        ready.complete(null);
                    }
                    case LOAD_FAILED -> {
                        refused = true;
                        ready.completeExceptionally(new IOException(WorkerProtocol.readString(body)));
                    }
                    case NATIVE_FAILED -> {
                        nativeFailure = WorkerProtocol.readString(body);
                        ready.completeExceptionally(new IOException(nativeFailure));
                    }
                    case STARTED -> deliver(body.readLong(), new Started(body.readInt()));
                    case PIECE -> deliver(body.readLong(), new Piece(WorkerProtocol.readString(body), body.readInt()));
                    case DONE -> deliver(body.readLong(), new Done(WorkerProtocol.reason(body.readByte()),
                            body.readInt()));
                    case FAILED -> deliver(body.readLong(), new Failed(WorkerProtocol.readString(body)));
                    case TOO_LONG -> deliver(body.readLong(), new TooLong(body.readInt(), body.readInt()));
                    case WorkerProtocol.EMBEDDED -> deliver(body.readLong(),
                            new Embedded(WorkerProtocol.readEmbeddings(body)));
                    case WorkerProtocol.INPUT_TOO_LONG -> deliver(body.readLong(),
                            new InputTooLong(body.readInt(), body.readInt(), body.readInt()));
                    case PONG -> body.readLong();
                    default -> throw new IOException("unknown frame type " + f.type());
                }
            }
        } catch (IOException e) {
            reason = "its channel failed: " + e.getMessage();
        }
        try { // the exit code says more than a closed channel
            if (process.waitFor(2, TimeUnit.SECONDS)) {
                reason = describeExit(process);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        die(reason);
    }

    private void deliver(long id, Event event) {
        BlockingQueue<Event> queue = pending.get(id);
        if (queue != null) {
            queue.add(event);
        } else if (unclaimed.incrementAndGet() == 1) {
            // every request waits for its last frame: one that nobody reads means a slot was given back early
            log.warn("Engine process {} answered request {}, which no one waits for", process.pid(), id);
        }
    }

    /** Frames for requests that no one waited for any more: always 0 unless a slot was handed back too early. */
    long unclaimedFrames() {
        return unclaimed.get();
    }

    /** Marks the worker gone: every waiting request learns it, and the supervisor is told once. */
    private void die(String reason) {
        if (!deathReason.compareAndSet(null, reason)) {
            return;
        }
        ready.completeExceptionally(new IOException(reason));
        for (BlockingQueue<Event> queue : pending.values()) {
            queue.add(new Died(reason));
        }
        closeQuietly(channel);
        if (process.isAlive()) {
            destroyTree();
        }
        cleanDirectory(directory).ifPresent(report -> {
            log.error("The engine process left a crash report: {}", report);
            illegalInstruction = reportsIllegalInstruction(report);
        });
        if (readyAt != null) { // one that never got ready is reported by start() to its caller instead
            deathListener.died(this, reason);
        }
    }

    /**
     * The directory holds the socket, the native library the worker extracted, and perhaps a crash report: all but
     * the report go, and the directory too when nothing is left.
     *
     * @return the crash report, if there is one
     */
    private static java.util.Optional<Path> cleanDirectory(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            List<Path> reports = new ArrayList<>();
            for (Path file : files.toList()) {
                if (file.getFileName().toString().startsWith("hs_err")) {
                    reports.add(file);
                } else {
                    Files.deleteIfExists(file);
                }
            }
            if (reports.isEmpty()) {
                Files.deleteIfExists(directory);
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(reports.get(0));
        } catch (IOException ignored) {
            return java.util.Optional.empty(); // a temporary file left behind
        }
    }

    /** Asks the worker for a sign of life; {@link #silentFor} tells whether it answered. */
    void ping() {
        trySend(WorkerProtocol.PING, b -> b.writeLong(pings.incrementAndGet()));
    }

    /** How long since the worker last said anything. */
    Duration silentFor() {
        return Duration.ofNanos(System.nanoTime() - lastHeard);
    }

    BlockingQueue<Event> register(long id) {
        BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
        pending.put(id, queue);
        if (isDead()) {
            queue.add(new Died("the engine process is gone"));
        }
        return queue;
    }

    void unregister(long id) {
        pending.remove(id);
    }

    void send(byte type, WorkerProtocol.FrameWriter.Body body) throws IOException {
        if (isDead()) {
            throw new IOException("the engine process is gone");
        }
        writer.send(type, body);
    }

    void trySend(byte type, WorkerProtocol.FrameWriter.Body body) {
        try {
            send(type, body);
        } catch (IOException ignored) {
            // the worker is gone; whoever waits learns it from the Died event
        }
    }

    boolean isDead() {
        return deathReason.get() != null;
    }

    /** Why the worker is gone, or null while it lives. */
    String deathReason() {
        return deathReason.get();
    }

    long pid() {
        return process.pid();
    }

    /** The native library this worker was started on. */
    NativeLibrary library() {
        return library;
    }

    /**
     * Whether the worker ended on an illegal instruction: code built for a CPU this one is not. The JVM's crash
     * handler turns a SIGILL in native code into an abort, so its crash report says so rather than the exit code.
     */
    boolean diedOfIllegalInstruction() {
        return illegalInstruction || (!process.isAlive() && process.exitValue() == SIGILL_EXIT);
    }

    /** The first lines of a HotSpot crash report name the signal: "#  SIGILL (0x4) at pc=…". */
    private static boolean reportsIllegalInstruction(Path report) {
        try (java.io.Reader reader = Files.newBufferedReader(report, StandardCharsets.ISO_8859_1)) {
            char[] head = new char[4096];
            int n = reader.read(head);
            return n > 0 && new String(head, 0, n).contains("SIGILL");
        } catch (IOException e) {
            return false;
        }
    }

    Duration readyFor() {
        return readyAt == null ? Duration.ZERO : Duration.between(readyAt, Instant.now());
    }

    void kill(String reason) {
        destroyTree();
        die(reason);
    }

    boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void destroyTree() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** 128 + SIGILL (4). */
    private static final int SIGILL_EXIT = 132;

    static String describeExit(Process p) {
        if (p.isAlive()) {
            return "still running";
        }
        int code = p.exitValue();
        String signal = switch (code) {
            case SIGILL_EXIT -> " (SIGILL: an instruction this CPU does not have)";
            case 134 -> " (SIGABRT: native abort)";
            case 137 -> " (SIGKILL: killed, perhaps out of memory)";
            case 139 -> " (SIGSEGV: native crash)";
            case 143 -> " (SIGTERM)";
            default -> "";
        };
        return "exit code " + code + signal;
    }

    /** The worker's output goes to our log, one line at a time, marked with its pid. */
    private static void pipeToLog(InputStream stream, long pid) {
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    log.info("[engine {}] {}", pid, line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "engine-log-" + pid);
        pump.setDaemon(true);
        pump.start();
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            if (Files.isDirectory(path)) {
                try (Stream<Path> files = Files.list(path)) {
                    for (Path f : files.toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a temporary file left behind
        }
    }
}
