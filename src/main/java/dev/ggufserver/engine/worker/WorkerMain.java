package dev.ggufserver.engine.worker;

import static dev.ggufserver.engine.worker.WorkerProtocol.CANCEL;
import static dev.ggufserver.engine.worker.WorkerProtocol.DONE;
import static dev.ggufserver.engine.worker.WorkerProtocol.EMBED;
import static dev.ggufserver.engine.worker.WorkerProtocol.EMBEDDED;
import static dev.ggufserver.engine.worker.WorkerProtocol.INPUT_TOO_LONG;
import static dev.ggufserver.engine.worker.WorkerProtocol.FAILED;
import static dev.ggufserver.engine.worker.WorkerProtocol.GENERATE;
import static dev.ggufserver.engine.worker.WorkerProtocol.HELLO;
import static dev.ggufserver.engine.worker.WorkerProtocol.LOAD_FAILED;
import static dev.ggufserver.engine.worker.WorkerProtocol.NATIVE_FAILED;
import static dev.ggufserver.engine.worker.WorkerProtocol.PIECE;
import static dev.ggufserver.engine.worker.WorkerProtocol.PING;
import static dev.ggufserver.engine.worker.WorkerProtocol.PONG;
import static dev.ggufserver.engine.worker.WorkerProtocol.READY;
import static dev.ggufserver.engine.worker.WorkerProtocol.SHUTDOWN;
import static dev.ggufserver.engine.worker.WorkerProtocol.STARTED;
import static dev.ggufserver.engine.worker.WorkerProtocol.TEST_HOOK;
import static dev.ggufserver.engine.worker.WorkerProtocol.TOO_LONG;

import dev.ggufserver.engine.ContextLengthExceededException;
import dev.ggufserver.engine.Embedding;
import dev.ggufserver.engine.EmbeddingInput;
import dev.ggufserver.engine.InputTooLongException;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.GenerationResult;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.engine.llama.LlamaEngine;
import dev.ggufserver.engine.llama.NativeLibraryLoader;
import dev.ggufserver.engine.llama.Vocabulary;
import dev.ggufserver.models.GgufReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The engine worker process: loads the model into its own JVM with the native library and serves the server's
 * requests over a Unix domain socket ({@link WorkerProtocol}). It exits by itself when the server goes away (its
 * stdin or the socket closes), so a killed server leaves no orphan.
 *
 * <p>Arguments: socket path, model path, context per request, parallel, threads, native logs (true/false),
 * embeddings (true/false), pooling for an embedding model that declares none ("" for the model's own), layers to
 * offload to a GPU.
 */
public final class WorkerMain {
    /** Set by the server only in tests: enables TEST_HOOK (crash, abort, stall). */
    static final String TEST_HOOKS_PROPERTY = "gguf-server.worker.test-hooks";
    /** With test hooks on: a file whose presence makes the worker exit right after READY (it deletes the file). */
    static final String EXIT_AFTER_READY_PROPERTY = "gguf-server.worker.exit-after-ready";
    /**
     * The tokenizing thread's stack. llama.cpp's pre-tokenizer regex recurses per character of a match; the pieces
     * it gets are bounded (PromptTokenizer.MAX_RUN), and this stack leaves a wide margin behind that bound.
     */
    private static final long TOKENIZER_STACK_BYTES = 256L << 20;

    private final LlamaEngine engine;
    private final WorkerProtocol.FrameWriter out;
    /** Requests the server sent and the worker has not answered DONE, FAILED or TOO_LONG for. */
    private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();
    private final Set<Long> cancelled = ConcurrentHashMap.newKeySet();
    /** Counts, checks and queues prompts in arrival order, off the reading thread (CANCELs are never held up). */
    private final ExecutorService tokenizer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(null, r, "tokenize", TOKENIZER_STACK_BYTES);
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService generators;
    private final boolean testHooks = Boolean.getBoolean(TEST_HOOKS_PROPERTY);
    private volatile CountDownLatch stallNextGeneration;

    private WorkerMain(LlamaEngine engine, WorkerProtocol.FrameWriter out, int parallel, boolean embeddings) {
        this.engine = engine;
        this.out = out;
        // as many generating threads as slots: the native engine never gets more requests than it can run. An
        // embedding model's threads tokenize inside llama.cpp (the binding embeds text), so they get the deep stack
        this.generators = Executors.newFixedThreadPool(parallel, r -> {
            Thread t = embeddings ? new Thread(null, r, "embed", TOKENIZER_STACK_BYTES) : new Thread(r, "generate");
            t.setDaemon(true);
            return t;
        });
    }

    public static void main(String[] args) {
        watchParent();
        try {
            run(args);
        } catch (Throwable t) {
            System.err.println("worker failed: " + t);
            t.printStackTrace();
        }
        exit(1); // the native loop thread would keep the JVM alive
    }

    /** Every way out: leave no files behind (the server cleans up too, but it may be gone), then stop at once. */
    private static void exit(int code) {
        removeOwnDirectory();
        Runtime.getRuntime().halt(code);
    }

    /** The server keeps our stdin open; when it ends (the server died, even by SIGKILL), so do we. */
    private static void watchParent() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // nothing is ever sent on stdin
                }
            } catch (IOException ignored) {
                // closed
            }
            System.err.println("server is gone; worker exits");
            exit(0);
        }, "parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /**
     * The server removes the worker's directory when the worker ends; a server that is gone cannot. The files it
     * may hold are the socket and the extracted native library; a crash report stays (and so the directory).
     */
    private static void removeOwnDirectory() {
        String directory = System.getProperty("de.kherud.llama.tmpdir");
        if (directory != null) {
            Path dir = Path.of(directory);
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    String name = file.getFileName().toString();
                    if (name.equals("engine.sock") || name.contains("jllama") || name.contains("llama")) {
                        Files.deleteIfExists(file);
                    }
                }
                Files.deleteIfExists(dir); // only when empty
            } catch (IOException ignored) {
                // not empty, or already gone
            }
        }
    }

    private static void run(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        Path model = Path.of(args[1]);
        int context = Integer.parseInt(args[2]);
        int parallel = Integer.parseInt(args[3]);
        int threads = Integer.parseInt(args[4]);
        boolean nativeLogs = Boolean.parseBoolean(args[5]);
        boolean embeddings = Boolean.parseBoolean(args[6]);
        String pooling = args[7].isEmpty() ? null : args[7];
        int gpuLayers = Integer.parseInt(args[8]);

        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        WorkerProtocol.FrameWriter out = new WorkerProtocol.FrameWriter(WorkerProtocol.outputOf(channel));
        DataInputStream in = WorkerProtocol.input(WorkerProtocol.inputOf(channel));
        out.send(HELLO, body -> body.writeInt(WorkerProtocol.VERSION));

        try { // the library first, on its own: the server falls back from a library that fails, not from a model
            NativeLibraryLoader.load();
        } catch (EngineException | RuntimeException | LinkageError e) {
            out.send(NATIVE_FAILED, body -> WorkerProtocol.writeString(body, String.valueOf(e.getMessage())));
            awaitServerThenExit(in);
            return;
        }

        LlamaEngine engine;
        try {
            ModelInfo info = new ModelInfo("worker", context, parallel, "", 0, "", 0, 0, false, null);
            engine = LlamaEngine.load(new LlamaEngine.Settings(model, context, parallel, threads, nativeLogs,
                    embeddings, pooling, gpuLayers), info, Vocabulary.fromGguf(GgufReader.read(model)));
        } catch (Exception e) {
            out.send(LOAD_FAILED, body -> WorkerProtocol.writeString(body, String.valueOf(e.getMessage())));
            awaitServerThenExit(in);
            return;
        }
        Vocabulary vocabulary = engine.vocabulary();
        out.send(READY, body -> { // what the loaded engine says about itself, for the server to check
            body.writeInt(vocabulary.pieces().size());
            body.writeBoolean(vocabulary.addsBos());
            body.writeInt(context);
            body.writeInt(parallel);
        });
        exitAfterReadyForTest();
        new WorkerMain(engine, out, parallel, embeddings).serve(in);
    }

    /**
     * After saying why it cannot start, the worker waits for the server to end it (or close the channel): exiting
     * at once could let the server see the exit before it read the reason, and take a model's failure for the
     * native library's or the other way round.
     */
    private static void awaitServerThenExit(DataInputStream in) {
        try {
            while (in.read() >= 0) {
                // nothing more is expected
            }
        } catch (IOException ignored) {
            // closed
        }
        exit(1);
    }

    private void serve(DataInputStream in) throws IOException {
        for (WorkerProtocol.Frame frame = WorkerProtocol.read(in); frame != null; frame = WorkerProtocol.read(in)) {
            DataInputStream body = frame.body();
            switch (frame.type()) {
                case GENERATE -> {
                    long id = body.readLong();
                    GenerationRequest request = WorkerProtocol.readRequest(body);
                    inFlight.add(id);
                    tokenizer.execute(() -> start(id, request));
                }
                case EMBED -> {
                    long id = body.readLong();
                    List<EmbeddingInput> inputs = WorkerProtocol.readInputs(body);
                    inFlight.add(id);
                    generators.execute(() -> embed(id, inputs));
                }
                case CANCEL -> {
                    long id = body.readLong();
                    if (inFlight.contains(id)) { // one that has finished already is not remembered forever
                        cancelled.add(id);
                    }
                }
                case PING -> {
                    long id = body.readLong();
                    out.send(PONG, b -> b.writeLong(id));
                }
                case SHUTDOWN -> exit(0);
                case TEST_HOOK -> testHook(WorkerProtocol.readString(body));
                default -> throw new IOException("unknown frame type " + frame.type());
            }
        }
        System.err.println("server closed the channel; worker exits");
        exit(0);
    }

    /**
     * Counts and queues the prompt on the tokenizing thread, so that llama.cpp starts on it at once; a generating
     * thread then streams it, waking while the prompt is processed rather than before (docs/PERFORMANCE.md).
     */
    private void start(long id, GenerationRequest request) {
        LlamaEngine.Generation generation;
        try {
            generation = engine.start(request);
        } catch (ContextLengthExceededException e) {
            finished(id);
            send(TOO_LONG, b -> {
                b.writeLong(id);
                b.writeInt(e.promptTokens());
                b.writeInt(e.contextTokens());
            });
            return;
        } catch (EngineException | RuntimeException e) {
            finished(id);
            sendFailure(id, e.getMessage());
            return;
        }
        try { // the server needs it with the first piece, not before: one write carries both
            out.buffer(STARTED, b -> {
                b.writeLong(id);
                b.writeInt(generation.promptTokens());
            });
        } catch (IOException e) {
            System.err.println("cannot reach the server: " + e); // the first piece stops the generation
        }
        generators.execute(() -> stream(id, generation));
    }

    private void stream(long id, LlamaEngine.Generation generation) {
        try {
            CountDownLatch stall = stallNextGeneration;
            stallNextGeneration = null;
            GenerationResult result = generation.stream((text, tokens) -> {
                if (stall != null) {
                    awaitForever(stall); // test hook: a generation stuck inside the engine
                }
                if (cancelled.contains(id)) {
                    return false; // checked on the generating thread, between pieces: the only safe place
                }
                return send(PIECE, b -> {
                    b.writeLong(id);
                    WorkerProtocol.writeString(b, text);
                    b.writeInt(tokens);
                });
            });
            finished(id);
            send(DONE, b -> {
                b.writeLong(id);
                b.writeByte(WorkerProtocol.reasonCode(result.reason()));
                b.writeInt(result.completionTokens());
            });
        } catch (EngineException | RuntimeException e) {
            finished(id);
            sendFailure(id, e.getMessage());
        }
    }

    /** Embeds on a slot's thread and answers with every vector, or why not (an embedding is not cancelled). */
    private void embed(long id, List<EmbeddingInput> inputs) {
        try {
            List<Embedding> embeddings = engine.embed(inputs);
            finished(id);
            send(EMBEDDED, b -> {
                b.writeLong(id);
                WorkerProtocol.writeEmbeddings(b, embeddings);
            });
        } catch (InputTooLongException e) {
            finished(id);
            send(INPUT_TOO_LONG, b -> {
                b.writeLong(id);
                b.writeInt(e.index());
                b.writeInt(e.tokens());
                b.writeInt(e.limit());
            });
        } catch (EngineException | RuntimeException e) {
            finished(id);
            sendFailure(id, e.getMessage());
        }
    }

    /** Before the last frame of a request: a CANCEL from now on finds nothing to cancel. */
    private void finished(long id) {
        inFlight.remove(id);
        cancelled.remove(id);
    }

    /** Test hook: a worker that dies right after saying READY (the supervisor must still notice and restart). */
    private static void exitAfterReadyForTest() {
        String flag = System.getProperty(EXIT_AFTER_READY_PROPERTY);
        if (Boolean.getBoolean(TEST_HOOKS_PROPERTY) && flag != null) {
            try {
                if (Files.deleteIfExists(Path.of(flag))) {
                    System.err.println("test hook: exit right after READY");
                    Runtime.getRuntime().halt(3);
                }
            } catch (IOException e) {
                System.err.println("test hook: " + e);
            }
        }
    }

    /** False when the server is gone: whatever generates for it stops. */
    private boolean send(byte type, WorkerProtocol.FrameWriter.Body body) {
        try {
            out.send(type, body);
            return true;
        } catch (IOException e) {
            System.err.println("cannot reach the server: " + e);
            return false;
        }
    }

    private void sendFailure(long id, String message) {
        send(FAILED, b -> {
            b.writeLong(id);
            WorkerProtocol.writeString(b, String.valueOf(message));
        });
    }

    private void testHook(String what) {
        if (!testHooks) {
            System.err.println("ignoring test hook '" + what + "': test hooks are off");
            return;
        }
        System.err.println("test hook: " + what);
        switch (what) {
            case "exit" -> Runtime.getRuntime().halt(3); // as a crash would: no cleaning up
            case "abort" -> engine.abortForTest();
            case "stall" -> stallNextGeneration = new CountDownLatch(1);
            default -> System.err.println("unknown test hook " + what);
        }
    }

    private static void awaitForever(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
