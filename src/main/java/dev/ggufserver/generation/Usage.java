package dev.ggufserver.generation;

/**
 * Token counts of one completion.
 *
 * @param reasoningTokens tokens generated inside the thought, the closing tag included
 */
public record Usage(int promptTokens, int completionTokens, int reasoningTokens) {
    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
