package dev.ggufserver.engine;

/**
 * How a generation ended.
 *
 * @param reason           EOS → {@link FinishReason#STOP}, the token limit → {@link FinishReason#LENGTH}, the
 *                         listener's request → {@link FinishReason#CANCELLED}
 * @param completionTokens tokens generated, EOS included (as llama.cpp counts them)
 */
public record GenerationResult(FinishReason reason, int completionTokens) {
}
