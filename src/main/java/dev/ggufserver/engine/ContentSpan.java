package dev.ggufserver.engine;

/**
 * A part of a prompt, in characters from {@code start} to {@code end}, that is a message's content: text the client
 * wrote, where text that looks like a special token ({@code <｜Assistant｜>}, {@code <think>}) is tokenized as plain
 * text, so a client cannot end its turn and write the assistant's. ({@link GenerationRequest#tokenSpans} uses the
 * same type for the pieces a continued prompt holds from the model's own output.)
 */
public record ContentSpan(int start, int end) {
    public ContentSpan {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("bad content span " + start + ".." + end);
        }
    }
}
