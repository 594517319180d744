package dev.ggufserver.output;

/**
 * Finds a model's tool calls in its answer text, one piece at a time, in one template family's syntax. Text outside
 * the calls is content; the calls' markers never are, however the text is chunked (a possible start of a marker is
 * held back until the next piece decides). Pure and single-threaded, one instance per answer.
 */
public interface ToolCallParser {
    /** Feeds a piece of answer text; returns what can be emitted now (reasoning always empty). */
    MessageDelta accept(String text);

    /** The end of the answer: releases what is held back (an unfinished call's text becomes content if no piece of it was sent). */
    MessageDelta finish();

    /** How many calls have started so far. */
    int calls();

    /** No tool calls: every piece is content as it is. */
    ToolCallParser NONE = new ToolCallParser() {
        @Override
        public MessageDelta accept(String text) {
            return MessageDelta.of("", text);
        }

        @Override
        public MessageDelta finish() {
            return MessageDelta.EMPTY;
        }

        @Override
        public int calls() {
            return 0;
        }
    };
}
