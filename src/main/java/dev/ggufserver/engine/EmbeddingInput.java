package dev.ggufserver.engine;

/**
 * One input of an embeddings request: text, or token ids of the model's vocabulary (exactly one of the two).
 *
 * @param text   the text to embed, or null
 * @param tokens token ids (each below the vocabulary's size), or null
 */
public record EmbeddingInput(String text, int[] tokens) {
    public EmbeddingInput {
        if ((text == null) == (tokens == null)) {
            throw new IllegalArgumentException("an embedding input is either text or tokens");
        }
    }

    public static EmbeddingInput ofText(String text) {
        return new EmbeddingInput(text, null);
    }

    public static EmbeddingInput ofTokens(int[] tokens) {
        return new EmbeddingInput(null, tokens);
    }
}
