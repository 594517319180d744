package dev.ggufserver.engine.llama;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import dev.ggufserver.engine.Constraint;
import dev.ggufserver.engine.Embedding;
import dev.ggufserver.engine.EmbeddingInput;
import dev.ggufserver.engine.InputTooLongException;
import dev.ggufserver.engine.Engine;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationListener;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.GenerationResult;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.engine.NativeLibrary;
import dev.ggufserver.engine.Sampling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native engine: llama.cpp's server loop inside this JVM, through de.kherud:llama 4.2.0. The only class that
 * imports the binding.
 *
 * <p>Facts about the binding this class relies on (pinned by LlamaEngineTest):
 * <ul>
 *   <li>each sampled token yields one output, except a token that ends inside a UTF-8 character, whose bytes come
 *       with the next output ({@link TokenCounter} recovers the count); EOS yields an empty output;</li>
 *   <li>the stream ends with one extra output that is not a token, after which {@code hasNext()} is false;</li>
 *   <li>{@code cancel()} is only safe from the iterating thread, and an iterator that is neither drained nor
 *       cancelled keeps its slot busy, so {@link #generate} always does one or the other;</li>
 *   <li>prompts are tokenized with BOS added and special tokens parsed; {@code encode()} adds no BOS; a prompt
 *       given as {@code ["", ids…]} is the same prompt, tokenized once ({@link RawParameters});</li>
 *   <li>NaN or out-of-range numbers in the request JSON abort the JVM, so only validated values get here.</li>
 * </ul>
 */
public final class LlamaEngine implements Engine {
    private static final Logger log = LoggerFactory.getLogger(LlamaEngine.class);

    /**
     * How to start the native engine.
     *
     * @param embeddings load an embedding model in llama.cpp's embedding mode (it then only embeds)
     * @param pooling    for an embedding model that declares no pooling, how to pool its token vectors
     *                   ({@code mean}, {@code cls}, {@code last}); null for the model's own
     * @param gpuLayers  layers to offload to a GPU (0: none; a CPU-only library keeps every layer anyway), or
     *                   {@link NativeLibrary#LLAMA_CPP_DEFAULT}
     */
    public record Settings(Path modelFile, int contextPerRequest, int parallel, int threads, boolean nativeLogs,
                           boolean embeddings, String pooling, int gpuLayers) {
        /** A model that generates, on the CPU. */
        public Settings(Path modelFile, int contextPerRequest, int parallel, int threads, boolean nativeLogs) {
            this(modelFile, contextPerRequest, parallel, threads, nativeLogs, false, null,
                    NativeLibrary.LLAMA_CPP_DEFAULT);
        }
    }

    private final LlamaModel model;
    private final ModelInfo info;
    private final Vocabulary vocabulary;
    private final TokenCounter tokenCounter;
    private final PromptTokenizer promptTokenizer;
    private final EmbeddingTexts embeddingTexts;
    private final boolean embeddings;

    private LlamaEngine(LlamaModel model, ModelInfo info, Vocabulary vocabulary, boolean embeddings) {
        this.model = model;
        this.info = info;
        this.vocabulary = vocabulary;
        this.tokenCounter = new TokenCounter(vocabulary);
        this.promptTokenizer = new PromptTokenizer(vocabulary, model::encode);
        this.embeddingTexts = new EmbeddingTexts(vocabulary, promptTokenizer);
        this.embeddings = embeddings;
    }

    /**
     * Loads the model. {@code vocabulary} comes from our own GGUF reader, which has validated the file already.
     *
     * @throws EngineException when llama.cpp cannot load the file
     */
    public static LlamaEngine load(Settings settings, ModelInfo info, Vocabulary vocabulary) throws EngineException {
        RawParameters.verify(); // a binding we cannot drive is a load failure, not a crash at the first request
        Path nativeDirectory = usePrivateNativeDirectory();
        ModelParameters parameters = new ModelParameters()
                .setModel(settings.modelFile().toString())
                .setCtxSize(settings.contextPerRequest() * settings.parallel())
                .setParallel(settings.parallel())
                .setThreads(settings.threads())
                .setThreadsBatch(settings.threads())
                // the load-time warm-up runs on this thread and leaves a second OpenMP team behind, which halves
                // decode speed with 2+ threads (see the throughput issue); llama-server's decode speed needs it off
                .skipWarmup()
                // we never let a request outgrow its context, and shifting would silently drop prompt tokens
                .disableContextShift();
        if (settings.gpuLayers() != NativeLibrary.LLAMA_CPP_DEFAULT) {
            parameters.setGpuLayers(settings.gpuLayers());
        }
        if (settings.embeddings()) {
            // an encoder reads a whole input in one micro-batch (llama.cpp refuses longer ones): one input = one
            // slot's context
            parameters.enableEmbedding()
                    .setBatchSize(settings.contextPerRequest())
                    .setUbatchSize(settings.contextPerRequest());
            if (settings.pooling() != null) {
                RawParameters.putArgument(parameters, "--pooling", settings.pooling());
            }
        }
        if (!settings.nativeLogs()) {
            parameters.disableLog();
        }
        long start = System.nanoTime();
        LlamaModel model;
        try {
            model = onThreadThatEnds(() -> new LlamaModel(parameters));
        } catch (RuntimeException | UnsatisfiedLinkError e) { // LlamaException is package-private
            throw new EngineException("llama.cpp could not load " + settings.modelFile() + ": " + e.getMessage(), e);
        } finally {
            deleteExtractedLibrary(nativeDirectory);
        }
        log.info("Model loaded in {} ms: {} slots of {} tokens, {} threads, GPU layers: {}",
                (System.nanoTime() - start) / 1_000_000, settings.parallel(), settings.contextPerRequest(),
                settings.threads(), settings.gpuLayers() >= NativeLibrary.ALL_LAYERS ? "all"
                        : settings.gpuLayers() == NativeLibrary.LLAMA_CPP_DEFAULT ? "llama.cpp's default"
                        : settings.gpuLayers());
        return new LlamaEngine(model, info, vocabulary, settings.embeddings());
    }

    /**
     * Runs a model load on a thread that ends with it. Loading can run OpenMP work on the calling thread (the AMX
     * and repacking weight conversions of a library built for this CPU do), which leaves that thread an OpenMP team
     * for as long as it lives. With it and the decode loop's team, libgomp counts more threads than cores and
     * cuts its barrier spinning to almost nothing, so every decode step sleeps and wakes its threads (100,000
     * context switches a minute, a third of decode speed lost). A thread that ends frees its team.
     */
    static <T> T onThreadThatEnds(Supplier<T> load) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread loader = new Thread(() -> {
            try {
                result.set(load.get());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "model-load");
        loader.start();
        boolean interrupted = false;
        while (true) {
            try {
                loader.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // a load cannot be stopped halfway; finish it, then pass the interrupt on
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable e = failure.get();
        if (e instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (e instanceof Error error) {
            throw error;
        }
        return result.get();
    }

    /**
     * The binding extracts its library into java.io.tmpdir and first deletes every file there whose name starts
     * with "llama" or "jllama", which would break other processes; give it a directory of its own.
     *
     * @return the directory made here, or null when one was given (the server gives its engine process one, and
     *         removes it when the process ends)
     */
    private static Path usePrivateNativeDirectory() {
        if (System.getProperty("de.kherud.llama.tmpdir") != null) {
            return null;
        }
        try {
            Path dir = Files.createTempDirectory("gguf-server-native-");
            System.setProperty("de.kherud.llama.tmpdir", dir.toString());
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a directory for the native library", e);
        }
    }

    /**
     * Once loaded, the library's file is not needed (the binding loads it once per JVM): remove it rather than leave
     * 5 MB in the temporary directory on every start, even when this process is killed later. Where the platform
     * keeps a loaded file, at exit instead.
     *
     * @param createdHere the directory {@link #usePrivateNativeDirectory} made, removed as well; may be null
     */
    private static void deleteExtractedLibrary(Path createdHere) {
        if (createdHere != null) {
            createdHere.toFile().deleteOnExit(); // registered first: at exit, files go before their directory
        }
        Path directory = Path.of(System.getProperty("de.kherud.llama.tmpdir"));
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                // the names the binding extracts (and itself deletes before extracting)
                boolean extracted = name.startsWith("jllama") || name.startsWith("libjllama")
                        || name.startsWith("llama") || name.startsWith("libllama");
                if (extracted && !file.toFile().delete()) {
                    file.toFile().deleteOnExit();
                }
            }
        } catch (IOException ignored) {
            // left for the system's temporary-file cleaning
        }
        if (createdHere != null) {
            createdHere.toFile().delete();
        }
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    /** llama.cpp's own tokenization of the whole text in one call (no BOS), to check {@link PromptTokenizer} by. */
    int[] tokenizeWhole(String text) {
        return model.encode(text);
    }

    /** Tokens the engine sees for this prompt, BOS included. */
    public int countPromptTokens(String prompt) {
        return promptTokenizer.tokenize(prompt).length + (vocabulary.addsBos() ? 1 : 0);
    }

    /** The ids the engine generates from, without BOS: for tests of what content may contain. */
    int[] promptTokens(String prompt, java.util.List<dev.ggufserver.engine.ContentSpan> content) {
        return promptTokenizer.tokenize(prompt, content);
    }

    @Override
    public GenerationResult generate(GenerationRequest request, GenerationListener listener) throws EngineException {
        Generation generation = start(request);
        try {
            listener.onStart(generation.promptTokens());
        } catch (RuntimeException e) {
            generation.abandon();
            throw e;
        }
        return generation.stream(listener);
    }

    /**
     * Embeds each input in turn, after checking that every one fits a slot's context. Runs on the caller's thread
     * (callers on several threads are embedded in parallel slots); llama.cpp tokenizes the text on it, so it needs
     * the deep stack the tokenizing thread has (WorkerMain).
     */
    @Override
    public List<Embedding> embed(List<EmbeddingInput> inputs) throws EngineException {
        if (!embeddings) {
            throw new EngineException("this model was not loaded as an embedding model");
        }
        List<String> texts = new ArrayList<>(inputs.size());
        int[] tokens = new int[inputs.size()];
        for (int i = 0; i < inputs.size(); i++) {
            String text = embeddingTexts.textOf(i, inputs.get(i));
            tokens[i] = embeddingTexts.tokensOf(text);
            if (tokens[i] > info.contextPerRequest()) {
                throw new InputTooLongException(i, tokens[i], info.contextPerRequest());
            }
            texts.add(text);
        }
        List<Embedding> result = new ArrayList<>(inputs.size());
        for (int i = 0; i < texts.size(); i++) {
            float[] vector;
            try {
                vector = model.embed(texts.get(i));
            } catch (RuntimeException e) {
                throw new EngineException("the engine could not embed input " + i + ": " + e.getMessage(), e);
            }
            result.add(new Embedding(vector, tokens[i]));
        }
        return result;
    }

    /**
     * Counts the prompt, checks it fits, and queues it in llama.cpp, which begins processing it at once; the
     * caller then {@link Generation#stream streams} it, on this thread or another. A started generation must be
     * streamed: until it is drained or cancelled it holds a slot.
     *
     * @throws ContextLengthExceededException when the prompt does not fit (nothing was queued)
     */
    public Generation start(GenerationRequest request) throws EngineException {
        if (embeddings) {
            throw new EngineException("an embedding model does not generate text");
        }
        int[] promptIds = promptTokenizer.tokenize(request.prompt(), request.contentSpans(), request.tokenSpans());
        int promptTokens = promptIds.length + (vocabulary.addsBos() ? 1 : 0);
        int maxTokens = request.budget(promptTokens, info.contextPerRequest());
        InferenceParameters parameters = toParameters(request, maxTokens);
        RawParameters.setPromptTokens(parameters, promptIds);
        if (request.constraint() != null) {
            constrain(parameters, request.constraint());
        }
        try {
            return new Generation(model.generate(parameters).iterator(), promptTokens, maxTokens);
        } catch (RuntimeException e) {
            throw new EngineException("the engine rejected the request: " + e.getMessage(), e);
        }
    }

    /** A generation llama.cpp is working on. */
    public final class Generation {
        private final LlamaIterator iterator;
        private final int promptTokens;
        private final int maxTokens;

        private Generation(LlamaIterator iterator, int promptTokens, int maxTokens) {
            this.iterator = iterator;
            this.promptTokens = promptTokens;
            this.maxTokens = maxTokens;
        }

        /** The prompt's tokens, BOS included. */
        public int promptTokens() {
            return promptTokens;
        }

        /** Cancels a generation that will not be streamed (on the thread that would have streamed it). */
        public void abandon() {
            iterator.cancel();
        }

        /**
         * Reports each piece until EOS, the budget, or the listener says stop (then cancels: on this thread, the
         * only safe one). Does not call {@link GenerationListener#onStart}: {@link #generate} does, for callers
         * that start and stream in one go.
         */
        public GenerationResult stream(GenerationListener listener) throws EngineException {
            boolean finished = false;
            int tokens = 0;
            boolean lastPieceEmpty = false;
            try {
                while (iterator.hasNext()) {
                    LlamaOutput output = iterator.next();
                    if (!iterator.hasNext()) {
                        finished = true; // the closing output carries no token
                        break;
                    }
                    int pieceTokens = tokenCounter.tokensIn(output.text);
                    tokens += pieceTokens;
                    lastPieceEmpty = output.text.isEmpty();
                    if (!listener.onPiece(output.text, pieceTokens)) {
                        return new GenerationResult(FinishReason.CANCELLED, tokens);
                    }
                }
                finished = true;
            } catch (RuntimeException e) {
                if (e.getClass().getName().startsWith("de.kherud.llama")) {
                    throw new EngineException("generation failed in the engine: " + e.getMessage(), e);
                }
                throw e;
            } finally {
                if (!finished) {
                    iterator.cancel(); // same thread as next(): the only safe place to cancel
                }
            }
            if (lastPieceEmpty) {
                return new GenerationResult(FinishReason.STOP, tokens);
            }
            // the budget ran out; tokens of a character cut off by the limit never made a piece, but the budget is
            // exact
            return new GenerationResult(FinishReason.LENGTH, Math.max(tokens, maxTokens));
        }
    }

    private static InferenceParameters toParameters(GenerationRequest request, int maxTokens) {
        // the prompt goes as token ids (RawParameters): escaping its text into the parameters would be wasted
        InferenceParameters p = new InferenceParameters("")
                .setNPredict(maxTokens)
                .setCachePrompt(true);
        Sampling s = request.sampling();
        if (s.temperature() != null) {
            p.setTemperature(s.temperature().floatValue());
        }
        if (s.topP() != null) {
            p.setTopP(s.topP().floatValue());
        }
        if (s.topK() != null) {
            p.setTopK(s.topK());
        }
        if (s.minP() != null) {
            p.setMinP(s.minP().floatValue());
        }
        if (s.seed() != null) {
            p.setSeed(nativeSeed(s.seed()));
        }
        if (s.presencePenalty() != null) {
            p.setPresencePenalty(s.presencePenalty().floatValue());
        }
        if (s.frequencyPenalty() != null) {
            p.setFrequencyPenalty(s.frequencyPenalty().floatValue());
        }
        if (s.repeatPenalty() != null) {
            p.setRepeatPenalty(s.repeatPenalty().floatValue());
        }
        if (!s.logitBias().isEmpty()) {
            p.setTokenIdBias(Map.copyOf(s.logitBias()));
        }
        p.setIgnoreEos(s.ignoreEos());
        return p;
    }

    /**
     * The grammar, and for a lazy one its triggers: llama.cpp b4916 reads {@code grammar}, {@code grammar_lazy},
     * {@code grammar_triggers} ({@code {"type":1,"value":word}}, 1 = a word) and {@code preserved_tokens} from the
     * request; a trigger word that is one token must be a preserved token, so each one is.
     */
    private static void constrain(InferenceParameters parameters, Constraint constraint) {
        RawParameters.put(parameters, "grammar", constraint.grammar());
        if (constraint.lazy()) {
            RawParameters.put(parameters, "grammar_lazy", true);
            List<Map<String, Object>> triggers = new ArrayList<>();
            for (String word : constraint.triggerWords()) {
                triggers.add(Map.of("type", TRIGGER_TYPE_WORD, "value", word));
            }
            RawParameters.put(parameters, "grammar_triggers", triggers);
            RawParameters.put(parameters, "preserved_tokens", constraint.triggerWords());
        }
    }

    /** llama.cpp's COMMON_GRAMMAR_TRIGGER_TYPE_WORD. */
    private static final int TRIGGER_TYPE_WORD = 1;

    /** llama.cpp seeds are 32 bits and 0xFFFFFFFF means "random": fold a 64-bit seed into the other values. */
    static int nativeSeed(long seed) {
        int folded = (int) (seed ^ (seed >>> 32));
        return folded == -1 ? 0x7FFFFFFF : folded;
    }

    /**
     * Test hook for the worker's crash tests: hands the binding a request holding NaN, which llama.cpp 4.2.0 fails
     * to parse outside any error handling, so the process aborts natively (as a real native crash would).
     */
    public void abortForTest() {
        model.generate(new InferenceParameters("abort").setTemperature(Float.NaN)).iterator();
    }

    /**
     * Stops the engine. The binding (4.2.0) deletes llama.cpp's server context without joining its loop thread, so
     * the process must not load another engine afterwards: the server closes an engine only as its worker process
     * ends, and tests keep theirs for the JVM's life (InProcessEngines).
     */
    @Override
    public void close() {
        model.close(); // stops the native loop; llama.cpp 4.2.0 frees nothing else (see issue: worker process)
    }
}
