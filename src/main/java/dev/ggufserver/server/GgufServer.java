package dev.ggufserver.server;

import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.engine.worker.NativeLibraries;
import dev.ggufserver.engine.worker.WorkerEngine;
import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.generation.ServedModel;
import dev.ggufserver.models.GgufFile;
import dev.ggufserver.models.GgufFormatException;
import dev.ggufserver.models.GgufReader;
import dev.ggufserver.models.ModelStore;
import dev.ggufserver.models.ModelValidator;
import dev.ggufserver.nativelib.BuildPins;
import dev.ggufserver.nativelib.CpuFeatures;
import dev.ggufserver.nativelib.LibrarySelection;
import dev.ggufserver.nativelib.NativeCache;
import dev.ggufserver.nativelib.Platform;
import dev.ggufserver.template.ChatTemplate;
import io.javalin.Javalin;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: check the model file in Java, start HTTP (answering 503 while loading), start the engine
 * process, serve. This process never loads the native library. Used by the command line and, unchanged, by the
 * integration tests.
 */
public final class GgufServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("gguf-server");
    /** For models that ship no template, as llama.cpp falls back to ChatML. */
    private static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** Characters a chat template may write beyond --max-prompt-chars before its render is stopped. */
    private static final int TEMPLATE_OUTPUT_SLACK = 1 << 20;
    /** A render (even of a GGUF's own looping template) that takes longer is stopped. */
    private static final Duration TEMPLATE_RENDER_TIMEOUT = Duration.ofSeconds(10);

    private final Javalin app;
    private final ModelHost host;
    /** Unloads idle models (--keep-alive, or a request's keep_alive). */
    private final ScheduledExecutorService idleUnloader;

    private GgufServer(Javalin app, ModelHost host, ScheduledExecutorService idleUnloader) {
        this.app = app;
        this.host = host;
        this.idleUnloader = idleUnloader;
    }

    /** Starts serving and returns once the models it loads at start are loaded (all of them, without a limit). */
    public static GgufServer start(ServerConfig config) throws StartupException {
        List<ServerConfig.NamedModel> named = config.models();
        List<GgufFile> ggufs = new ArrayList<>(named.size());
        for (ServerConfig.NamedModel m : named) {
            ggufs.add(readModel(m.file()));
        }
        NativeLibraries natives = nativeLibraries(config.nativeLibrary());
        ModelHost host = new ModelHost();
        ServerMetrics metrics = new ServerMetrics();
        List<ModelHost.Entry> entries = new ArrayList<>(named.size());
        for (int i = 0; i < named.size(); i++) {
            try {
                entries.add(announce(config, named.get(i), ggufs.get(i), host, metrics, natives));
            } catch (IllegalArgumentException e) {
                throw new StartupException(StartupException.USAGE, e.getMessage() + "; give each --model its own "
                        + "name (NAME=REF)");
            }
        }
        Path directory = config.loading().servedDirectory();
        if (directory != null) {
            serveDirectory(config, directory, host, metrics, natives);
        }
        int maxLoaded = maxLoaded(config.loading(), ggufs, directory);
        host.limitLoaded(maxLoaded);
        warnIfOpenWithoutKey(config);
        Javalin app = HttpServer.create(new HttpServer.Settings(config.host(), config.port(), config.http()), host,
                metrics);
        try {
            app.start();
        } catch (RuntimeException e) {
            if (causedBy(e, BindException.class) && config.port() != 0) {
                // the usual first-run trouble, and the user's to fix: one line, the option to change
                throw new StartupException(StartupException.USAGE, "port " + config.port() + " on "
                        + config.host() + " is already in use; choose another with --port (0 picks a free one)");
            }
            throw new StartupException(StartupException.FAILURE, "cannot listen on " + config.host() + ":"
                    + config.port() + ": " + rootMessage(e));
        }
        // without a limit every model loads now; with one, the default alone (the others on their first request)
        int atStart = maxLoaded == 0 ? entries.size() : 1;
        log.info("Listening on http://{}:{} (loading {})", config.host(), app.port(),
                atStart == 1 ? "the model" : atStart + " models");
        for (ModelHost.Entry entry : entries.subList(0, atStart)) {
            try (ModelHost.Lease loaded = host.lease(entry)) {
                log.debug("Model '{}' loaded at start", loaded.model().info().id());
            } catch (EngineException | InterruptedException e) {
                host.failed(entry.id(), e.getMessage());
                host.unloadAll();
                app.stop();
                throw new StartupException(StartupException.FAILURE, entries.size() == 1 ? e.getMessage()
                        : "model '" + entry.id() + "': " + e.getMessage());
            }
        }
        host.startedUp();
        return new GgufServer(app, host, idleUnloader(config, host));
    }

    /**
     * The limit on loaded models: the one given, or with {@code auto} what fits in the memory available now (the
     * served directory's files count too), logged when it is a limit.
     */
    private static int maxLoaded(ServerConfig.ModelLoading loading, List<GgufFile> ggufs, Path directory) {
        if (loading.maxLoaded() != ServerConfig.ModelLoading.AUTO) {
            return loading.maxLoaded();
        }
        List<Long> sizes = new ArrayList<>(ggufs.stream().map(GgufFile::fileSize).toList());
        if (directory != null) {
            try {
                for (ModelStore.Entry file : new ModelStore(directory).list()) {
                    if (file.valid() && ggufs.stream().noneMatch(g -> g.path().equals(file.path()))) {
                        sizes.add(file.gguf().fileSize());
                    }
                }
            } catch (IOException e) {
                log.debug("Cannot list {}: {}", directory, e.getMessage());
            }
        }
        java.util.OptionalLong available = MemoryBudget.available();
        if (available.isEmpty() || sizes.size() < 2) {
            return 0;
        }
        int limit = MemoryBudget.maxLoaded(sizes, available.getAsLong());
        if (limit > 0) {
            log.info("At most {} of the {} models loaded at once: that is what fits in the {} MB of memory "
                    + "available (--max-loaded-models N to choose)", limit, sizes.size(),
                    available.getAsLong() >> 20);
        }
        return limit;
    }

    /**
     * Which native library the engine processes load, chosen once for every model (docs/ARCHITECTURE.md, "The
     * native library"): said in the log, with the command that would make it faster when there is one.
     */
    private static NativeLibraries nativeLibraries(ServerConfig.NativeLibraryOptions options)
            throws StartupException {
        Platform platform = Platform.current();
        String named = options.nativeLib() != null ? options.nativeLib()
                : System.getProperty(LibrarySelection.LIB_PATH_PROPERTY);
        LibrarySelection selection;
        try {
            selection = LibrarySelection.choose(named, options.cacheDir() == null ? null
                    : new NativeCache(options.cacheDir()), BuildPins.BINDING_VERSION, platform,
                    CpuFeatures.current(platform));
        } catch (IllegalArgumentException e) {
            throw new StartupException(StartupException.USAGE, e.getMessage());
        }
        for (LibrarySelection.Rejected rejected : selection.rejected()) {
            log.info("Not using the native library in {}: {}", rejected.directory(), rejected.reason());
        }
        log.info("Native library: {}", selection.preferred().describe());
        selection.hint(options.cacheDir() == null ? "gguf-server native build"
                : LibrarySelection.buildCommand(options.cacheDir(), System.getenv())).ifPresent(log::info);
        if (selection.forced()) {
            return NativeLibraries.only(selection.preferred());
        }
        return NativeLibraries.preferring(selection.beforeBundled(), selection.bundled());
    }

    /** Announces a model the host loads on demand (or at start), with its gauges. */
    private static ModelHost.Entry announce(ServerConfig config, ServerConfig.NamedModel model, GgufFile gguf,
                                            ModelHost host, ServerMetrics metrics, NativeLibraries natives) {
        ModelInfo info = infoOf(config, model, gguf);
        ModelHost.Entry entry = host.expect(info, new ModelHost.Loader() {
            @Override
            public ServedModel load() throws EngineException {
                return serve(config, model.file(), gguf, info, metrics, natives);
            }

            @Override
            public void unload(ServedModel served) {
                log.info("Unloading model '{}'", info.id());
                served.close();
            }
        });
        metrics.watch(entry);
        return entry;
    }

    /** A name a request may give for a file in the served directory: no path, nothing hidden. */
    private static final java.util.regex.Pattern FILE_NAME = java.util.regex.Pattern.compile(
            "[A-Za-z0-9][A-Za-z0-9._-]{0,200}");

    /**
     * Serves every valid GGUF in {@code directory} by its file name without {@code .gguf} (those present now, and
     * any a request names later), loaded on demand; a name already served keeps its model.
     */
    private static void serveDirectory(ServerConfig config, Path directory, ModelHost host, ServerMetrics metrics,
                                       NativeLibraries natives) {
        try {
            for (ModelStore.Entry file : new ModelStore(directory).list()) {
                String name = file.name().substring(0, file.name().length() - ".gguf".length());
                boolean served = host.entries().stream().anyMatch(e -> e.id().equals(name));
                if (file.valid() && !served && FILE_NAME.matcher(name).matches()) {
                    announce(config, new ServerConfig.NamedModel(name, file.path()), file.gguf(), host, metrics,
                            natives);
                }
            }
        } catch (IOException e) {
            log.warn("Cannot list the models in {}: {}", directory, e.getMessage());
        }
        host.discoverWith(name -> {
            if (!FILE_NAME.matcher(name).matches() || name.contains("..")) {
                return Optional.empty();
            }
            Path file = directory.resolve(name + ".gguf");
            if (!Files.isRegularFile(file)) {
                return Optional.empty();
            }
            try {
                GgufFile gguf = ModelValidator.validate(GgufReader.read(file));
                log.info("Serving '{}' from {}", name, file);
                return Optional.of(announce(config, new ServerConfig.NamedModel(name, file), gguf, host, metrics,
                        natives));
            } catch (IOException | GgufFormatException | IllegalArgumentException e) {
                log.warn("Not serving {}: {}", file, e.getMessage());
                return Optional.empty();
            }
        });
    }

    /**
     * Unloads idle models: after --keep-alive, or after what a request's {@code keep_alive} asked for (so the timer
     * runs even without --keep-alive).
     */
    private static ScheduledExecutorService idleUnloader(ServerConfig config, ModelHost host) {
        Duration keepAlive = config.loading().keepAlive();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "model-keep-alive");
            t.setDaemon(true);
            return t;
        });
        long period = keepAlive == null ? 250 : Math.max(50, Math.min(1000, keepAlive.toMillis() / 4));
        timer.scheduleWithFixedDelay(() -> {
            try {
                host.unloadIdle(keepAlive);
            } catch (RuntimeException e) {
                log.warn("Unloading idle models failed", e);
            }
        }, period, period, TimeUnit.MILLISECONDS);
        return timer;
    }

    private static ModelInfo infoOf(ServerConfig config, ServerConfig.NamedModel model, GgufFile gguf) {
        long trained = gguf.archInteger("context_length").orElse(0L);
        ServerConfig.ModelSettings own = config.loading().settingsOf(model.alias(), config.contextPerRequest(),
                config.parallel());
        int context = own.contextPerRequest();
        if (gguf.embeds() && trained > 0 && trained < context) {
            // an encoder has no positions past its trained length (its position table ends there)
            context = (int) trained;
        }
        return new ModelInfo(model.alias(), context, own.parallel(),
                gguf.architecture(), gguf.parameterCount(), gguf.quantization(), gguf.fileSize(),
                trained, gguf.chatTemplate().isPresent(),
                ModelStore.knownSha256(model.file()).orElse(null), gguf.vocabularySize(),
                gguf.embeds() ? gguf.embeddingLength() : 0);
    }

    /** Starts one model's engine process and serves it: its template, its runner and queue. */
    private static ServedModel serve(ServerConfig config, Path file, GgufFile gguf, ModelInfo info,
                                     ServerMetrics metrics, NativeLibraries natives) throws EngineException {
        // an encoder that declares no pooling is pooled by the mean of its token vectors, as sentence-transformers
        // pools most of them (a file that declares one keeps it)
        String pooling = info.embeddings() && gguf.declaredPooling() == 0 ? "mean" : null;
        WorkerEngine engine = WorkerEngine.start(new WorkerEngine.Settings(file, info.contextPerRequest(),
                info.parallel(), config.threads(), config.nativeLogs(), config.watchdog(),
                config.restartDelay(), config.maxRestartDelay(), config.engineTestHooks(), info.embeddings(),
                pooling, natives, config.nativeLibrary().gpuLayers()), info);
        if (info.embeddings()) {
            log.info("Model '{}' ready: {} embedding model, {} dimensions, {} tokens per input, {} in parallel",
                    info.id(), info.architecture(), info.embeddingDimensions(), info.contextPerRequest(),
                    info.parallel());
            // no chat reaches an embedding model (ModelsHandler refuses it), so its template is never rendered
            return ServedModel.of(engine, new ChatTemplate("", "", "", false), config.reasoningFormat(), config.thinkingBudgets(),
                    Duration.ofMillis(config.http().keepAliveMillis()), config.maxQueue(), config.queueTimeout(),
                    metrics.forModel(info.id()));
        }
        String template = gguf.chatTemplate().orElseGet(() -> {
            log.warn("{} has no chat template; using ChatML", file);
            return CHATML;
        });
        // a render may write a little more than the client sent (the template's own text), never far more
        ChatTemplate chatTemplate = new ChatTemplate(template, gguf.specialTokenText("tokenizer.ggml.bos_token_id"),
                gguf.specialTokenText("tokenizer.ggml.eos_token_id"), gguf.addsBosToken(),
                config.http().maxPromptChars() + TEMPLATE_OUTPUT_SLACK, TEMPLATE_RENDER_TIMEOUT,
                !config.specialTokensInContent(), config.toolCallFormat());
        ServedModel served = ServedModel.of(engine, chatTemplate, config.reasoningFormat(), config.thinkingBudgets(),
                Duration.ofMillis(config.http().keepAliveMillis()), config.maxQueue(), config.queueTimeout(),
                metrics.forModel(info.id()));
        log.info("Model '{}' ready: {} {} ({} parameters), {} tokens per request, {} in parallel, tool calls read "
                        + "as {}{}", info.id(), info.architecture(), info.quantization(), info.parameters(),
                info.contextPerRequest(), info.parallel(), chatTemplate.toolCallFormat().wireName(),
                config.toolCallFormat() == null ? " (from the chat template)" : " (--tool-format)");
        return served;
    }

    /** Anyone who can reach a non-loopback address could use the model: say so when no key protects it. */
    private static void warnIfOpenWithoutKey(ServerConfig config) {
        openWithoutKeyWarning(config.host(), config.http().apiKeys()).ifPresent(log::warn);
    }

    static Optional<String> openWithoutKeyWarning(String host, List<String> apiKeys) {
        if (!apiKeys.isEmpty()) {
            return Optional.empty();
        }
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            loopback = false;
        }
        return loopback ? Optional.empty() : Optional.of("Listening on " + host
                + " without an API key: anyone who can reach this address can use the model. Set --api-key "
                + "(or --api-key-file) to require one.");
    }

    public int port() {
        return app.port();
    }

    public ModelHost host() {
        return host;
    }

    /** The default model's engine (it must be loaded). */
    public WorkerEngine engine() {
        return (WorkerEngine) host.current().orElseThrow(() -> new IllegalStateException("the default model is "
                + "not loaded")).engine();
    }

    /** The engines of the models loaded now, in serving order. */
    public List<WorkerEngine> engines() {
        return host.entries().stream().map(ModelHost.Entry::model).flatMap(Optional::stream)
                .map(m -> (WorkerEngine) m.engine()).toList();
    }

    /**
     * The graceful end (SIGTERM, Ctrl-C): new completions get 503, running ones may finish within {@code grace},
     * then HTTP stops and the engine process is stopped.
     */
    public void shutdown(Duration grace) {
        try {
            if (!host.drain(grace)) {
                log.warn("Requests still running after {} s; stopping anyway", grace.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    /** Stops HTTP and the engine process at once; the engine process is stopped even when HTTP cannot stop. */
    @Override
    public void close() {
        try {
            app.stop();
        } catch (RuntimeException e) { // Javalin gives up on a request thread that does not end
            log.warn("HTTP did not stop cleanly: {}", rootMessage(e));
        } finally {
            if (idleUnloader != null) {
                idleUnloader.shutdownNow();
            }
            host.unloadAll();
        }
    }

    /** The Java-side check of the model file, before anything native sees it. */
    static GgufFile readModel(Path model) throws StartupException {
        if (!Files.exists(model)) {
            throw new StartupException(StartupException.USAGE, "model file not found: " + model);
        }
        if (!Files.isRegularFile(model)) {
            throw new StartupException(StartupException.USAGE, "model path is not a file: " + model);
        }
        if (!Files.isReadable(model)) {
            throw new StartupException(StartupException.USAGE, "cannot read model file (permission denied): "
                    + model);
        }
        GgufFile gguf;
        try {
            gguf = ModelValidator.validate(GgufReader.read(model));
        } catch (GgufFormatException e) {
            throw new StartupException(StartupException.USAGE, "invalid model file " + e.getMessage());
        } catch (IOException e) {
            throw new StartupException(StartupException.USAGE, "cannot read model file " + model + ": "
                    + e.getMessage());
        }
        return gguf;
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
