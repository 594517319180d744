package dev.ggufserver.engine;

/** The prompt alone fills the context: nothing was generated. The HTTP layer answers 400 context_length_exceeded. */
public final class ContextLengthExceededException extends EngineException {
    private final int promptTokens;
    private final int contextTokens;

    public ContextLengthExceededException(int promptTokens, int contextTokens) {
        super("the prompt has " + promptTokens + " tokens; the context holds " + contextTokens);
        this.promptTokens = promptTokens;
        this.contextTokens = contextTokens;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int contextTokens() {
        return contextTokens;
    }
}
