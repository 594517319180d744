package dev.ggufserver.engine;

/**
 * A loaded model that generates text. Implementations: {@code engine.llama.LlamaEngine} (the native engine) and
 * test doubles. The HTTP layer sees only this interface.
 *
 * <p>{@link #generate} runs on the caller's thread and reports each piece to the listener; it never gets more
 * concurrent calls than {@link ModelInfo#parallel()} (the {@link AdmissionQueue} sees to that).
 */
public interface Engine extends AutoCloseable {

    ModelInfo info();

    /** Whether requests can be served now; an engine in another process may be restarting. */
    default EngineStatus status() {
        return EngineStatus.READY;
    }

    /**
     * Counts the prompt's tokens, checks that it fits the context, then generates until EOS, the token limit, a
     * full context, or the listener asks to stop. Returns how it ended.
     *
     * @throws ContextLengthExceededException when the prompt does not fit (before anything is generated)
     * @throws EngineUnavailableException     when the engine cannot take requests now
     * @throws EngineException                when the engine fails; pieces already reported stay valid
     */
    GenerationResult generate(GenerationRequest request, GenerationListener listener) throws EngineException;

    /**
     * The vectors of the inputs, in their order; only an embedding model's engine ({@link ModelInfo#embeddings()})
     * computes them. Every input is checked against the context before any is embedded.
     *
     * @throws InputTooLongException when an input does not fit (nothing was embedded)
     * @throws EngineException       when the engine cannot embed, or fails
     */
    default java.util.List<Embedding> embed(java.util.List<EmbeddingInput> inputs) throws EngineException {
        throw new EngineException("this model does not compute embeddings");
    }

    /** The native library this engine runs on, when it loads one (the engine process's, once it has started). */
    default java.util.Optional<NativeLibrary> nativeLibrary() {
        return java.util.Optional.empty();
    }

    @Override
    void close();
}
