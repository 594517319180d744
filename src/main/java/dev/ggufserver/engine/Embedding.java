package dev.ggufserver.engine;

/**
 * The vector of one input, as the model's pooling made it (unit length when it pools), and the tokens it read
 * (the special tokens the model adds included).
 */
public record Embedding(float[] vector, int tokens) {
}
