package dev.ggufserver.server;

import dev.ggufserver.engine.NativeLibrary;
import dev.ggufserver.output.ToolCallFormat;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkingBudgets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything the server is started with, from the command line or GGUF_SERVER_* variables, validated.
 *
 * @param watchdog          a generation silent this long is cancelled (the engine restarted if it is stuck)
 * @param restartDelay      first delay before restarting a dead engine process; doubles while it keeps dying,
 *                          up to {@link #MAX_RESTART_DELAY} (or restartDelay itself when that is longer)
 * @param shutdownGrace     how long running requests may finish after SIGTERM
 * @param maxQueue          requests that may wait for a slot; more get 503
 * @param queueTimeout      longest wait for a slot before 503
 * @param engineTestHooks   lets tests crash the engine process on purpose; never set by the command line
 * @param http              keys, CORS, limits
 * @param specialTokensInContent special-token text in message content is tokenized as special tokens, as
 *                          llama-server does (lets a client write the template's control tokens: off by default)
 * @param toolCallFormat    the syntax the model writes tool calls in; null: detected from the chat template
 * @param thinkingBudgets   thinking budgets for each reasoning_effort, the default one, and a cut thought's message
 * @param otherModels       more models served beside {@code model} (the default), by name, with the same settings
 * @param loading           how many models may be loaded at once, and how long an idle one stays loaded
 * @param nativeLibrary     which native library the engine processes load
 */
public record ServerConfig(Path model, String host, int port, int contextPerRequest, int parallel, int threads,
                           String alias, ReasoningFormat reasoningFormat, boolean nativeLogs, Duration watchdog,
                           Duration restartDelay, Duration shutdownGrace, int maxQueue, Duration queueTimeout,
                           boolean engineTestHooks, HttpOptions http, boolean specialTokensInContent,
                           ToolCallFormat toolCallFormat, ThinkingBudgets thinkingBudgets,
                           List<NamedModel> otherModels, ModelLoading loading, NativeLibraryOptions nativeLibrary) {
    /** A model served by name: {@code alias} is its id in requests and {@code /v1/models}. */
    /** One model's own context per request and parallel slots (null: the server's). */
    public record ModelSettings(Integer contextPerRequest, Integer parallel) {
    }

    public record NamedModel(String alias, Path file) {
    }

    /**
     * @param maxLoaded      most models loaded at once, 0 for no limit (then every --model loads at start; with a
     *                       limit only the default does, the others on their first request), {@link #AUTO} for
     *                       what fits in the memory available at start
     * @param keepAlive      an idle model is unloaded after this long (it loads again on demand); null: never
     * @param servedDirectory every GGUF in it is served by its file name, loaded on demand (files added later
     *                       too, found when a request names them); null: none
     * @param perModel       models' own settings by name (--models-config)
     */
    public record ModelLoading(int maxLoaded, Duration keepAlive, Path servedDirectory,
                               java.util.Map<String, ModelSettings> perModel) {
        /** Every model loaded at start, for good. */
        public static final ModelLoading ALL = new ModelLoading(0, null, null);
        /** {@code maxLoaded}: as many as fit in memory (all of them when they all fit). */
        public static final int AUTO = -1;

        public ModelLoading(int maxLoaded, Duration keepAlive) {
            this(maxLoaded, keepAlive, null);
        }

        public ModelLoading(int maxLoaded, Duration keepAlive, Path servedDirectory) {
            this(maxLoaded, keepAlive, servedDirectory, java.util.Map.of());
        }

        /** The settings of the model served as {@code name}: its own (--models-config) where it has them. */
        public ModelSettings settingsOf(String name, int contextPerRequest, int parallel) {
            ModelSettings own = perModel.get(name);
            return new ModelSettings(own != null && own.contextPerRequest() != null ? own.contextPerRequest()
                    : contextPerRequest, own != null && own.parallel() != null ? own.parallel() : parallel);
        }

        public ModelLoading {
            perModel = java.util.Map.copyOf(perModel);
            if (maxLoaded < AUTO || (keepAlive != null && (keepAlive.isNegative() || keepAlive.isZero()))) {
                throw new IllegalArgumentException("maxLoaded must be AUTO, 0 or more, and keepAlive positive");
            }
        }
    }

    /**
     * Which native library the engine processes load, and what they offload to a GPU.
     *
     * @param nativeLib {@code --native-lib}: a directory or library file, {@code bundled}, or null to choose
     * @param cacheDir  where {@code native build} installs libraries for this machine; null: look in no cache
     * @param gpuLayers {@code --gpu-layers}: layers to offload, or {@link NativeLibrary#GPU_LAYERS_AUTO}
     */
    public record NativeLibraryOptions(String nativeLib, Path cacheDir, int gpuLayers) {
        /** The bundled library, unless the JVM names another with de.kherud.llama.lib.path. */
        public static final NativeLibraryOptions BUNDLED = new NativeLibraryOptions(null, null);

        public NativeLibraryOptions(String nativeLib, Path cacheDir) {
            this(nativeLib, cacheDir, NativeLibrary.GPU_LAYERS_AUTO);
        }
    }

    public ServerConfig {
        otherModels = otherModels == null ? List.of() : List.copyOf(otherModels);
        loading = loading == null ? ModelLoading.ALL : loading;
        nativeLibrary = nativeLibrary == null ? NativeLibraryOptions.BUNDLED : nativeLibrary;
    }

    public static final Duration DEFAULT_WATCHDOG = Duration.ofSeconds(300);
    public static final Duration DEFAULT_RESTART_DELAY = Duration.ofSeconds(1);
    public static final Duration MAX_RESTART_DELAY = Duration.ofSeconds(30);
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_QUEUE = 64;
    public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofMinutes(10);

    /** Defaults for everything but what identifies the model and its size. */
    public static ServerConfig of(Path model, String host, int port, int contextPerRequest, int parallel, int threads,
                                  String alias) {
        return new ServerConfig(model, host, port, contextPerRequest, parallel, threads, alias,
                ReasoningFormat.DEEPSEEK, false, DEFAULT_WATCHDOG, DEFAULT_RESTART_DELAY, DEFAULT_SHUTDOWN_GRACE,
                DEFAULT_MAX_QUEUE, DEFAULT_QUEUE_TIMEOUT, false, HttpOptions.defaults(), false, null,
                ThinkingBudgets.DEFAULTS, List.of(), ModelLoading.ALL, NativeLibraryOptions.BUNDLED);
    }

    /** The same server with another queue. */
    public ServerConfig withQueue(int maxQueue, Duration queueTimeout, long keepAliveMillis) {
        return new ServerConfig(model, host, port, contextPerRequest, parallel, threads, alias, reasoningFormat,
                nativeLogs, watchdog, restartDelay, shutdownGrace, maxQueue, queueTimeout, engineTestHooks,
                http.withKeepAliveMillis(keepAliveMillis), specialTokensInContent, toolCallFormat, thinkingBudgets,
                otherModels, loading, nativeLibrary);
    }

    /** The same server with other HTTP options. */
    public ServerConfig withHttp(HttpOptions options) {
        return new ServerConfig(model, host, port, contextPerRequest, parallel, threads, alias, reasoningFormat,
                nativeLogs, watchdog, restartDelay, shutdownGrace, maxQueue, queueTimeout, engineTestHooks, options,
                specialTokensInContent, toolCallFormat, thinkingBudgets, otherModels, loading, nativeLibrary);
    }

    /** For tests: engine test hooks on, a short watchdog, and a fixed restart delay (no backoff). */
    public ServerConfig withEngineTestHooks(Duration watchdog, Duration restartDelay) {
        return new ServerConfig(model, host, port, contextPerRequest, parallel, threads, alias, reasoningFormat,
                nativeLogs, watchdog, restartDelay, shutdownGrace, maxQueue, queueTimeout, true, http,
                specialTokensInContent, toolCallFormat, thinkingBudgets, otherModels, loading, nativeLibrary);
    }

    /** The same server with special-token text in content tokenized as special tokens (or not). */
    public ServerConfig withSpecialTokensInContent(boolean on) {
        return new ServerConfig(model, host, port, contextPerRequest, parallel, threads, alias, reasoningFormat,
                nativeLogs, watchdog, restartDelay, shutdownGrace, maxQueue, queueTimeout, engineTestHooks, http, on,
                toolCallFormat, thinkingBudgets, otherModels, loading, nativeLibrary);
    }

    /** The same server with tool calls read in {@code format} (null: as the template shows). */
    public ServerConfig withToolCallFormat(ToolCallFormat format) {
        return new ServerConfig(model, host, port, contextPerRequest, parallel, threads, alias, reasoningFormat,
                nativeLogs, watchdog, restartDelay, shutdownGrace, maxQueue, queueTimeout, engineTestHooks, http,
                specialTokensInContent, format, thinkingBudgets, otherModels, loading, nativeLibrary);
    }

    /** The same server with other thinking budgets. */
    public ServerConfig withThinkingBudgets(ThinkingBudgets budgets) {
        return new ServerConfig(model, host, port, contextPerRequest, parallel, threads, alias, reasoningFormat,
                nativeLogs, watchdog, restartDelay, shutdownGrace, maxQueue, queueTimeout, engineTestHooks, http,
                specialTokensInContent, toolCallFormat, budgets, otherModels, loading, nativeLibrary);
    }

    /** The same server, serving {@code models} beside its default model. */
    public ServerConfig withOtherModels(List<NamedModel> models) {
        return new ServerConfig(model, host, port, contextPerRequest, parallel, threads, alias, reasoningFormat,
                nativeLogs, watchdog, restartDelay, shutdownGrace, maxQueue, queueTimeout, engineTestHooks, http,
                specialTokensInContent, toolCallFormat, thinkingBudgets, models, loading, nativeLibrary);
    }

    /** The same server, loading its models as {@code how} says. */
    public ServerConfig withLoading(ModelLoading how) {
        return new ServerConfig(model, host, port, contextPerRequest, parallel, threads, alias, reasoningFormat,
                nativeLogs, watchdog, restartDelay, shutdownGrace, maxQueue, queueTimeout, engineTestHooks, http,
                specialTokensInContent, toolCallFormat, thinkingBudgets, otherModels, how, nativeLibrary);
    }

    /** The same server, loading the native library {@code how} says. */
    public ServerConfig withNativeLibrary(NativeLibraryOptions how) {
        return new ServerConfig(model, host, port, contextPerRequest, parallel, threads, alias, reasoningFormat,
                nativeLogs, watchdog, restartDelay, shutdownGrace, maxQueue, queueTimeout, engineTestHooks, http,
                specialTokensInContent, toolCallFormat, thinkingBudgets, otherModels, loading, how);
    }

    /** Every served model, the default first. */
    public List<NamedModel> models() {
        List<NamedModel> all = new java.util.ArrayList<>();
        all.add(new NamedModel(alias, model));
        all.addAll(otherModels);
        return all;
    }

    /** The longest wait between restarts: fixed delays for tests, a capped backoff otherwise. */
    public Duration maxRestartDelay() {
        return engineTestHooks ? restartDelay : MAX_RESTART_DELAY;
    }
}
