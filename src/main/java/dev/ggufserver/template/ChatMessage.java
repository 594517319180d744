package dev.ggufserver.template;

import java.util.List;

/**
 * One message as a chat template sees it: a role and plain-text content, and for tool use the participant
 * {@code name} (or null), an assistant's earlier {@code toolCalls} (never null) and a tool message's
 * {@code toolCallId} (or null).
 */
public record ChatMessage(String role, String content, String name, List<ToolCall> toolCalls, String toolCallId) {
    public ChatMessage {
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public ChatMessage(String role, String content) {
        this(role, content, null, List.of(), null);
    }

    /** The same message with other content (tool use unchanged). */
    public ChatMessage withContent(String newContent) {
        return new ChatMessage(role, newContent, name, toolCalls, toolCallId);
    }
}
