package dev.ggufserver.engine;

import java.util.List;

/**
 * A rendered prompt, with how much to generate and how to sample. The engine counts the prompt's tokens itself
 * (it tokenizes the prompt once, for counting and generating) and tells the listener before the first piece.
 *
 * @param prompt       the exact text the model continues (special tokens as text)
 * @param contentSpans the parts of the prompt that are message content, in order and not overlapping: special-token
 *                     text there is plain text (empty for a raw prompt, whose special-token text is special)
 * @param maxTokens    tokens to generate at most, at least 1; {@link #UNTIL_CONTEXT_IS_FULL} when the client set no
 *                     limit. Never more than the context leaves after the prompt (see {@link #budget}).
 * @param constraint   a grammar the output follows, or null
 * @param tokenSpans   parts of the prompt the model generated itself, one output piece each, in order and apart
 *                     (a continued generation): each becomes the vocabulary token that prints exactly that text,
 *                     not a re-tokenization of it, so the continued prompt holds the very tokens the slot's cache
 *                     does (a piece that is no single token is tokenized as content); empty for a fresh prompt
 */
public record GenerationRequest(String prompt, List<ContentSpan> contentSpans, int maxTokens, Sampling sampling,
                                Constraint constraint, List<ContentSpan> tokenSpans) {
    /** No limit but the context. */
    public static final int UNTIL_CONTEXT_IS_FULL = Integer.MAX_VALUE;

    public GenerationRequest {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1");
        }
        contentSpans = List.copyOf(contentSpans);
        tokenSpans = tokenSpans == null ? List.of() : List.copyOf(tokenSpans);
        checkSpans(contentSpans, prompt, "content spans");
        checkSpans(tokenSpans, prompt, "token spans");
        if (constraint != null && sampling.ignoreEos()) { // llama.cpp b4916 aborts on this combination
            throw new IllegalArgumentException("a constraint cannot be combined with ignore_eos");
        }
    }

    /** A fresh prompt: no part of it was generated. */
    public GenerationRequest(String prompt, List<ContentSpan> contentSpans, int maxTokens, Sampling sampling,
                             Constraint constraint) {
        this(prompt, contentSpans, maxTokens, sampling, constraint, List.of());
    }

    private static void checkSpans(List<ContentSpan> spans, String prompt, String what) {
        int end = 0;
        for (ContentSpan span : spans) {
            if (span.start() < end || span.end() > prompt.length()) {
                throw new IllegalArgumentException(what + " must be in order, apart and inside the prompt");
            }
            end = span.end();
        }
    }

    /** Without a constraint. */
    public GenerationRequest(String prompt, List<ContentSpan> contentSpans, int maxTokens, Sampling sampling) {
        this(prompt, contentSpans, maxTokens, sampling, null);
    }

    /** A prompt whose special-token text is all special (a raw text completion), without a constraint. */
    public GenerationRequest(String prompt, int maxTokens, Sampling sampling) {
        this(prompt, List.of(), maxTokens, sampling, null);
    }

    /**
     * How many tokens this request may generate after a prompt of {@code promptTokens} in a context of
     * {@code contextTokens}: every engine checks this before generating.
     *
     * @throws ContextLengthExceededException when the prompt leaves no room for a single token
     */
    public int budget(int promptTokens, int contextTokens) throws ContextLengthExceededException {
        if (promptTokens >= contextTokens) {
            throw new ContextLengthExceededException(promptTokens, contextTokens);
        }
        return Math.min(maxTokens, contextTokens - promptTokens);
    }
}
