package dev.ggufserver.output;

import java.util.List;

/**
 * What one step of generation adds to the answer: thinking, text, and pieces of tool calls. Any part may be empty.
 * Streams send it as chunks; a whole answer is the fold of all of them.
 */
public record MessageDelta(String reasoning, String content, List<ToolCallDelta> toolCalls) {
    public static final MessageDelta EMPTY = new MessageDelta("", "", List.of());

    public MessageDelta {
        toolCalls = List.copyOf(toolCalls);
    }

    public static MessageDelta of(String reasoning, String content) {
        return new MessageDelta(reasoning, content, List.of());
    }

    public boolean isEmpty() {
        return reasoning.isEmpty() && content.isEmpty() && toolCalls.isEmpty();
    }
}
