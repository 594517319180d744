package dev.ggufserver.engine;

/**
 * A prompt, already rendered and counted, with how much to generate and how to sample.
 *
 * @param prompt       the exact text the model continues (special tokens as text)
 * @param promptTokens what {@link Engine#countPromptTokens} said of it
 * @param maxTokens    tokens to generate at most, at least 1, already clamped to the context
 */
public record GenerationRequest(String prompt, int promptTokens, int maxTokens, Sampling sampling) {
    public GenerationRequest {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1");
        }
    }
}
