package dev.ggufserver.engine;

/** One input of an embeddings request does not fit the model's context: nothing was embedded. */
public final class InputTooLongException extends EngineException {
    private final int index;
    private final int tokens;
    private final int limit;

    public InputTooLongException(int index, int tokens, int limit) {
        super("input " + index + " has " + tokens + " tokens; the model reads at most " + limit);
        this.index = index;
        this.tokens = tokens;
        this.limit = limit;
    }

    /** Which input, counted from 0 in request order. */
    public int index() {
        return index;
    }

    public int tokens() {
        return tokens;
    }

    public int limit() {
        return limit;
    }
}
