package dev.ggufserver.engine;

/** Receives generated text as the engine produces it, on the generating thread. */
@FunctionalInterface
public interface GenerationListener {
    /**
     * The prompt fits and generation begins: called once, before the first piece, with the prompt's token count
     * (BOS included). A prompt that does not fit never gets here: generate throws
     * {@link ContextLengthExceededException} instead.
     */
    default void onStart(int promptTokens) {
    }

    /**
     * One piece of text and the number of tokens it took (a character split across tokens arrives as one piece of
     * several tokens; EOS arrives as an empty piece of one token).
     *
     * @return false to stop generating (a stop string matched, or the client left)
     */
    boolean onPiece(String text, int tokens);
}
