package dev.ggufserver.cli;

import dev.ggufserver.engine.NativeLibrary;
import dev.ggufserver.models.Downloader;
import dev.ggufserver.models.ModelReference;
import dev.ggufserver.output.ToolCallFormat;
import dev.ggufserver.reasoning.ReasoningEffort;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkingBudget;
import dev.ggufserver.reasoning.ThinkingBudgets;
import dev.ggufserver.server.HttpOptions;
import dev.ggufserver.server.ModelPresets;
import dev.ggufserver.server.ServerConfig;
import dev.ggufserver.server.StartupException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The command line; every option can also come from an environment variable GGUF_SERVER_&lt;NAME&gt;. */
@Command(name = "gguf-server", mixinStandardHelpOptions = true, versionProvider = Version.class,
        subcommands = {PullCommand.class, ListCommand.class, RmCommand.class, BenchCommand.class,
                NativeCommand.class},
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Serves a GGUF model over OpenAI-compatible HTTP endpoints.",
        footer = {"", "Every option can also be set as an environment variable, e.g. GGUF_SERVER_PORT=9000."})
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "[NAME=]REF", defaultValue = "${env:GGUF_SERVER_MODEL}",
            description = "A GGUF model: a file, an http(s) URL, or hf:OWNER/REPO/FILE.gguf[@REVISION], served as "
                    + "NAME (default: the file name without .gguf). Repeat to serve several by name; the first is "
                    + "the default (default: DeepSeek-R1-Distill-Qwen-1.5B Q4_K_M, downloaded into --models-dir "
                    + "on first run).")
    List<String> modelSpecs;

    @Mixin
    ModelOptions models;

    @Option(names = "--models-config", paramLabel = "FILE", defaultValue = "${env:GGUF_SERVER_MODELS_CONFIG}",
            description = "A YAML file of per-model settings (ctx-size, parallel) and models to serve by name "
                    + "(model: REF); see the README.")
    Path modelsConfig;

    /** Read by call(): the --models-config entries. */
    private List<ModelPresets.Preset> presets = List.of();

    @Option(names = "--max-loaded-models", paramLabel = "N|auto",
            defaultValue = "${env:GGUF_SERVER_MAX_LOADED_MODELS:-auto}",
            description = "Most models loaded at once; loading another first unloads the least recently used idle "
                    + "one. 0 = no limit: every --model loads at start; auto = as many as fit in the memory "
                    + "available at start, all when they all fit (default: ${DEFAULT-VALUE}).")
    String maxLoadedModels;

    @Option(names = "--serve-models-dir", defaultValue = "${env:GGUF_SERVER_SERVE_MODELS_DIR:-false}",
            description = "Also serve every GGUF in --models-dir by its file name without .gguf, loaded on its "
                    + "first request (files pulled later too).")
    boolean serveModelsDir;

    @Option(names = "--keep-alive", paramLabel = "SECONDS", defaultValue = "${env:GGUF_SERVER_KEEP_ALIVE:--1}",
            description = "Unload a model idle this long (it loads again on its next request); -1 = never "
                    + "(default: ${DEFAULT-VALUE}).")
    long keepAliveSeconds;

    @Option(names = "--host", defaultValue = "${env:GGUF_SERVER_HOST:-127.0.0.1}",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "${env:GGUF_SERVER_PORT:-8080}",
            description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--ctx-size", paramLabel = "TOKENS", defaultValue = "${env:GGUF_SERVER_CTX_SIZE:-8192}",
            description = "Tokens of context per request, prompt plus answer (default: ${DEFAULT-VALUE}).")
    int ctxSize;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "${env:GGUF_SERVER_PARALLEL:-4}",
            description = "Requests generated together (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "${env:GGUF_SERVER_THREADS:-0}",
            description = "CPU threads for generation (default: all cores).")
    int threads;

    @Option(names = "--alias", paramLabel = "ID", defaultValue = "${env:GGUF_SERVER_ALIAS}",
            description = "Id of the default (first) model shown to clients (default: its NAME, or the file name "
                    + "without .gguf).")
    String alias;

    @Option(names = "--reasoning-format", paramLabel = "FORMAT",
            defaultValue = "${env:GGUF_SERVER_REASONING_FORMAT:-deepseek}",
            description = "deepseek: thinking in reasoning_content; none: raw text in content "
                    + "(default: ${DEFAULT-VALUE}).")
    String reasoningFormat;

    @Option(names = "--reasoning-budget", paramLabel = "N",
            defaultValue = "${env:GGUF_SERVER_REASONING_BUDGET:--1}",
            description = "Thinking tokens a request may use when it names no reasoning_effort or budget; 0 = no "
                    + "thinking, -1 = unlimited (default: ${DEFAULT-VALUE}).")
    int reasoningBudget;

    @Option(names = "--reasoning-budget-minimal", paramLabel = "N",
            defaultValue = "${env:GGUF_SERVER_REASONING_BUDGET_MINIMAL:-256}",
            description = "Thinking tokens for reasoning_effort minimal (default: ${DEFAULT-VALUE}).")
    int budgetMinimal;

    @Option(names = "--reasoning-budget-low", paramLabel = "N",
            defaultValue = "${env:GGUF_SERVER_REASONING_BUDGET_LOW:-1024}",
            description = "Thinking tokens for reasoning_effort low (default: ${DEFAULT-VALUE}).")
    int budgetLow;

    @Option(names = "--reasoning-budget-medium", paramLabel = "N",
            defaultValue = "${env:GGUF_SERVER_REASONING_BUDGET_MEDIUM:-4096}",
            description = "Thinking tokens for reasoning_effort medium (default: ${DEFAULT-VALUE}).")
    int budgetMedium;

    @Option(names = "--reasoning-budget-high", paramLabel = "N",
            defaultValue = "${env:GGUF_SERVER_REASONING_BUDGET_HIGH:-16384}",
            description = "Thinking tokens for reasoning_effort high (default: ${DEFAULT-VALUE}).")
    int budgetHigh;

    @Option(names = "--reasoning-budget-xhigh", paramLabel = "N",
            defaultValue = "${env:GGUF_SERVER_REASONING_BUDGET_XHIGH:-32768}",
            description = "Thinking tokens for reasoning_effort xhigh (default: ${DEFAULT-VALUE}).")
    int budgetXhigh;

    @Option(names = "--reasoning-budget-message", paramLabel = "TEXT",
            defaultValue = "${env:GGUF_SERVER_REASONING_BUDGET_MESSAGE:-}",
            description = "Written at the end of a thought cut at its budget, before the close tag, e.g. "
                    + "\"Time is up; answering now.\" (default: none).")
    String budgetMessage;

    @Option(names = "--tool-format", paramLabel = "FORMAT", defaultValue = "${env:GGUF_SERVER_TOOL_FORMAT:-auto}",
            description = "Syntax the model writes tool calls in: auto (from the chat template), deepseek-r1, "
                    + "hermes, llama3-json, mistral or generic (default: ${DEFAULT-VALUE}).")
    String toolFormat;

    @Option(names = "--max-queue", paramLabel = "N", defaultValue = "${env:GGUF_SERVER_MAX_QUEUE:-64}",
            description = "Requests that may wait for a slot; more are answered 503 (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--queue-timeout", paramLabel = "SECONDS",
            defaultValue = "${env:GGUF_SERVER_QUEUE_TIMEOUT:-600}",
            description = "Longest wait for a slot before a 503 (default: ${DEFAULT-VALUE}).")
    int queueTimeoutSeconds;

    @Option(names = "--watchdog-timeout", paramLabel = "SECONDS",
            defaultValue = "${env:GGUF_SERVER_WATCHDOG_TIMEOUT:-300}",
            description = "A generation that produces nothing for this long is stopped; if the engine cannot "
                    + "stop it, the engine process is restarted (default: ${DEFAULT-VALUE}).")
    int watchdogSeconds;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS",
            defaultValue = "${env:GGUF_SERVER_SHUTDOWN_TIMEOUT:-30}",
            description = "On SIGTERM or Ctrl-C, how long running requests may finish (default: ${DEFAULT-VALUE}).")
    int shutdownSeconds;

    @Option(names = "--api-key", paramLabel = "KEY", split = ",",
            defaultValue = "${env:GGUF_SERVER_API_KEY}",
            description = "A key clients must send (Authorization: Bearer KEY or X-Api-Key); repeat or separate "
                    + "with commas for several. /health and the chat page's files stay public.")
    List<String> apiKeys;

    @Option(names = "--api-key-file", paramLabel = "FILE", defaultValue = "${env:GGUF_SERVER_API_KEY_FILE}",
            description = "A file with one key per line (blank lines and # comments ignored).")
    Path apiKeyFile;

    @Option(names = "--cors-origins", paramLabel = "ORIGIN", split = ",",
            defaultValue = "${env:GGUF_SERVER_CORS_ORIGINS}",
            description = "Browser origins allowed to call the API, e.g. https://app.example.org, or * "
                    + "(default: none; the chat page needs none).")
    List<String> corsOrigins;

    @Option(names = "--max-body-bytes", paramLabel = "BYTES",
            defaultValue = "${env:GGUF_SERVER_MAX_BODY_BYTES:-8388608}",
            description = "Largest request body; more is answered 413 (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Option(names = "--max-messages", paramLabel = "N", defaultValue = "${env:GGUF_SERVER_MAX_MESSAGES:-2048}",
            description = "Most messages in one chat request (default: ${DEFAULT-VALUE}).")
    int maxMessages;

    @Option(names = "--max-embedding-inputs", paramLabel = "N",
            defaultValue = "${env:GGUF_SERVER_MAX_EMBEDDING_INPUTS:-2048}",
            description = "Most inputs in one embeddings request; more is answered 400 (default: ${DEFAULT-VALUE}).")
    int maxEmbeddingInputs;

    @Option(names = "--max-prompt-chars", paramLabel = "N",
            defaultValue = "${env:GGUF_SERVER_MAX_PROMPT_CHARS:-4194304}",
            description = "Most characters of prompt text in one request (default: ${DEFAULT-VALUE}).")
    int maxPromptChars;

    @Option(names = "--max-header-bytes", paramLabel = "BYTES",
            defaultValue = "${env:GGUF_SERVER_MAX_HEADER_BYTES:-16384}",
            description = "Largest request header block; more is answered 431 (default: ${DEFAULT-VALUE}).")
    int maxHeaderBytes;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "${env:GGUF_SERVER_IDLE_TIMEOUT:-60}",
            description = "A connection that sends nothing this long is closed (default: ${DEFAULT-VALUE}).")
    int idleTimeoutSeconds;

    @Option(names = "--max-connections", paramLabel = "N",
            defaultValue = "${env:GGUF_SERVER_MAX_CONNECTIONS:-512}",
            description = "Connections served at once; more wait to be accepted (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--log-prompts", defaultValue = "${env:GGUF_SERVER_LOG_PROMPTS:-false}",
            description = "Log prompts and answers (off by default: they are your users' data).")
    boolean logPrompts;

    @Option(names = "--special-tokens-in-content",
            defaultValue = "${env:GGUF_SERVER_SPECIAL_TOKENS_IN_CONTENT:-false}",
            description = "Tokenize special-token text in message content (e.g. <｜Assistant｜>) as the special "
                    + "token, as llama-server does. Off by default: a client could write the template's turns.")
    boolean specialTokensInContent;

    @Option(names = "--log-native", defaultValue = "${env:GGUF_SERVER_LOG_NATIVE:-false}",
            description = "Let llama.cpp print its own logs.")
    boolean logNative;

    @Option(names = "--native-lib", paramLabel = "PATH", defaultValue = "${env:GGUF_SERVER_NATIVE_LIB}",
            description = NativeOptions.NATIVE_LIB_DESCRIPTION)
    String nativeLib;

    @Mixin
    NativeOptions natives;

    @Option(names = "--gpu-layers", paramLabel = "N|auto", defaultValue = "${env:GGUF_SERVER_GPU_LAYERS:-auto}",
            description = "Layers to offload to the GPU: auto (the default) offloads all of them when the native "
                    + "library is a GPU build (gguf-server native build --cuda|--vulkan|--metal) and none on a CPU "
                    + "library; 0 keeps the model on the CPU.")
    String gpuLayers;

    /** Set by {@link #call()}: the validated configuration. */
    ServerConfig config;

    /** A model name as {@code --model NAME=REF} gives it: no slash, so a path or URL is never taken for one. */
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]*");

    @Override
    public Integer call() {
        validateOptions();
        List<String> specs = new ArrayList<>(modelSpecs == null ? List.of()
                : modelSpecs.stream().filter(m -> !m.isBlank()).toList());
        if (modelsConfig != null) {
            try {
                presets = ModelPresets.read(modelsConfig);
            } catch (ModelPresets.Invalid e) {
                throw usage("--models-config " + e.getMessage());
            }
            // a preset with a model is served too, after the --model ones, unless --model named it already
            for (ModelPresets.Preset preset : presets) {
                boolean named = specs.stream().anyMatch(spec -> spec.startsWith(preset.name() + "="));
                if (preset.reference() != null && !named) {
                    specs.add(preset.name() + "=" + preset.reference());
                }
            }
        }
        if (specs.isEmpty()) {
            specs = List.of(ModelReference.DEFAULT);
        }
        List<ServerConfig.NamedModel> served = new ArrayList<>();
        for (String spec : specs) {
            int equals = spec.indexOf('=');
            String name = equals > 0 && NAME.matcher(spec.substring(0, equals)).matches()
                    ? spec.substring(0, equals) : null;
            String ref = name == null ? spec : spec.substring(equals + 1);
            ModelReference reference;
            try {
                reference = ModelOptions.parse(ref);
            } catch (IllegalArgumentException e) {
                throw usage("--model: " + e.getMessage());
            }
            Path file;
            try {
                file = models.resolve(reference);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            } catch (Downloader.DownloadException e) {
                System.err.println("gguf-server: " + e.getMessage());
                return StartupException.USAGE;
            } catch (IOException e) {
                System.err.println("gguf-server: cannot use the models directory " + models.modelsDir + ": "
                        + e.getMessage());
                return StartupException.USAGE;
            }
            served.add(new ServerConfig.NamedModel(name != null ? name : defaultAlias(file), file));
        }
        if (alias != null && !alias.isBlank()) { // --alias names the default model
            served.set(0, new ServerConfig.NamedModel(alias, served.get(0).file()));
        }
        config = configFor(served.get(0)).withOtherModels(served.subList(1, served.size()));
        return 0;
    }

    private void validateOptions() {
        if (port < 0 || port > 65535) {
            throw usage("--port must be between 0 and 65535, not " + port);
        }
        if (ctxSize < 16 || ctxSize > 1 << 20) {
            throw usage("--ctx-size must be between 16 and 1048576, not " + ctxSize);
        }
        if (parallel < 1 || parallel > 256) {
            throw usage("--parallel must be between 1 and 256, not " + parallel);
        }
        if (threads < 0 || threads > 1024) {
            throw usage("--threads must be between 1 and 1024, not " + threads);
        }
        if (watchdogSeconds < 1 || watchdogSeconds > 86_400) {
            throw usage("--watchdog-timeout must be between 1 and 86400 seconds, not " + watchdogSeconds);
        }
        if (maxQueue < 0 || maxQueue > 100_000) {
            throw usage("--max-queue must be between 0 and 100000, not " + maxQueue);
        }
        if (queueTimeoutSeconds < 1 || queueTimeoutSeconds > 86_400) {
            throw usage("--queue-timeout must be between 1 and 86400 seconds, not " + queueTimeoutSeconds);
        }
        if (shutdownSeconds < 0 || shutdownSeconds > 3_600) {
            throw usage("--shutdown-timeout must be between 0 and 3600 seconds, not " + shutdownSeconds);
        }
        if (host == null || host.isBlank()) {
            throw usage("--host must not be empty");
        }
        if (maxBodyBytes < 1024 || maxMessages < 1 || maxPromptChars < 1 || maxHeaderBytes < 1024
                || idleTimeoutSeconds < 1 || maxConnections < 1 || maxEmbeddingInputs < 1) {
            throw usage("--max-body-bytes and --max-header-bytes must be at least 1024, and --max-messages, "
                    + "--max-prompt-chars, --max-embedding-inputs, --idle-timeout and --max-connections at least 1");
        }
        if (!toolFormat.equals("auto") && ToolCallFormat.parse(toolFormat).isEmpty()) {
            throw usage("--tool-format must be auto, " + String.join(", ", Arrays.stream(ToolCallFormat.values())
                    .map(ToolCallFormat::wireName).toList()) + ", not " + toolFormat);
        }
        if (ReasoningFormat.parse(reasoningFormat).isEmpty()) {
            throw usage("--reasoning-format must be deepseek or none, not " + reasoningFormat);
        }
        int[] budgets = {reasoningBudget, budgetMinimal, budgetLow, budgetMedium, budgetHigh, budgetXhigh};
        for (int budget : budgets) {
            if (budget < ThinkingBudget.UNLIMITED) {
                throw usage("--reasoning-budget and --reasoning-budget-* take a number of tokens, 0 (no thinking) "
                        + "or -1 (unlimited), not " + budget);
            }
        }
        if (maxLoaded() < ServerConfig.ModelLoading.AUTO) {
            throw usage("--max-loaded-models must be auto, 0 (no limit) or a number up to 1000, not "
                    + maxLoadedModels);
        }
        if (gpuLayers() < NativeLibrary.GPU_LAYERS_AUTO) {
            throw usage("--gpu-layers must be auto or a number of layers from 0 to " + NativeLibrary.ALL_LAYERS
                    + ", not " + gpuLayers);
        }
        if (keepAliveSeconds == 0 || keepAliveSeconds < -1 || keepAliveSeconds > 31_536_000) {
            throw usage("--keep-alive must be -1 (never unload) or between 1 and 31536000 seconds, not "
                    + keepAliveSeconds);
        }
        if (budgetMessage != null && budgetMessage.length() > 1000) {
            throw usage("--reasoning-budget-message is at most 1000 characters");
        }
    }

    /** {@code --max-loaded-models}: AUTO, 0 or a count; below AUTO when it is none of them. */
    private int maxLoaded() {
        if (maxLoadedModels.equals("auto")) {
            return ServerConfig.ModelLoading.AUTO;
        }
        try {
            int n = Integer.parseInt(maxLoadedModels);
            return n >= 0 && n <= 1000 ? n : Integer.MIN_VALUE;
        } catch (NumberFormatException e) {
            return Integer.MIN_VALUE;
        }
    }

    /** --gpu-layers as a number: {@link NativeLibrary#GPU_LAYERS_AUTO} for auto, below it when invalid. */
    private int gpuLayers() {
        if (gpuLayers.trim().equalsIgnoreCase("auto")) {
            return NativeLibrary.GPU_LAYERS_AUTO;
        }
        try {
            int n = Integer.parseInt(gpuLayers.trim());
            return n >= 0 && n <= NativeLibrary.ALL_LAYERS ? n : Integer.MIN_VALUE;
        } catch (NumberFormatException e) {
            return Integer.MIN_VALUE;
        }
    }

    /** --models-config's settings by model name. */
    private java.util.Map<String, ServerConfig.ModelSettings> perModel() {
        java.util.Map<String, ServerConfig.ModelSettings> settings = new java.util.HashMap<>();
        for (ModelPresets.Preset preset : presets) {
            settings.put(preset.name(), new ServerConfig.ModelSettings(preset.contextPerRequest(), preset.parallel()));
        }
        return settings;
    }

    private ThinkingBudgets thinkingBudgets() {
        return ThinkingBudgets.DEFAULTS.withDefault(reasoningBudget)
                .with(ReasoningEffort.MINIMAL, budgetMinimal)
                .with(ReasoningEffort.LOW, budgetLow)
                .with(ReasoningEffort.MEDIUM, budgetMedium)
                .with(ReasoningEffort.HIGH, budgetHigh)
                .with(ReasoningEffort.XHIGH, budgetXhigh)
                .withMessage(budgetMessage == null ? "" : budgetMessage);
    }

    private ServerConfig configFor(ServerConfig.NamedModel first) {
        ReasoningFormat format = ReasoningFormat.parse(reasoningFormat).orElseThrow();
        Path model = first.file();
        String id = first.alias();
        int threadCount = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        HttpOptions http = HttpOptions.defaults()
                .withApiKeys(keys())
                .withCorsOrigins(corsOrigins == null ? List.of() : corsOrigins.stream().map(String::trim)
                        .filter(o -> !o.isEmpty()).toList())
                .withLimits(maxBodyBytes, maxMessages, maxPromptChars, maxHeaderBytes,
                        Duration.ofSeconds(idleTimeoutSeconds), maxConnections)
                .withLogPrompts(logPrompts)
                .withMaxEmbeddingInputs(maxEmbeddingInputs);
        return new ServerConfig(model, host, port, ctxSize, parallel, threadCount, id, format, logNative,
                Duration.ofSeconds(watchdogSeconds), ServerConfig.DEFAULT_RESTART_DELAY,
                Duration.ofSeconds(shutdownSeconds), maxQueue, Duration.ofSeconds(queueTimeoutSeconds), false, http,
                specialTokensInContent, ToolCallFormat.parse(toolFormat).orElse(null), thinkingBudgets(), List.of(),
                new ServerConfig.ModelLoading(maxLoaded(),
                        keepAliveSeconds < 0 ? null : Duration.ofSeconds(keepAliveSeconds),
                        serveModelsDir ? models.modelsDir : null, perModel()),
                new ServerConfig.NativeLibraryOptions(nativeLib == null || nativeLib.isBlank() ? null : nativeLib,
                        natives.directory(), gpuLayers()));
    }

    /** The keys from --api-key and --api-key-file together. */
    private List<String> keys() {
        List<String> keys = new ArrayList<>();
        if (apiKeys != null) {
            apiKeys.stream().map(String::trim).filter(k -> !k.isEmpty()).forEach(keys::add);
        }
        if (apiKeyFile != null) {
            try {
                Files.readAllLines(apiKeyFile).stream().map(String::trim)
                        .filter(k -> !k.isEmpty() && !k.startsWith("#")).forEach(keys::add);
            } catch (IOException e) {
                throw usage("--api-key-file: cannot read " + apiKeyFile + " (" + e.getMessage() + ")");
            }
            if (keys.isEmpty()) {
                throw usage("--api-key-file: " + apiKeyFile + " holds no key");
            }
        }
        return keys;
    }

    static String defaultAlias(Path model) {
        String name = model.getFileName() == null ? model.toString() : model.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
