package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/** A request message as the client sends it; nothing here is checked beyond JSON types (see the validator). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatMessage(String role, MessageContent content, String name, List<ToolCall> toolCalls,
                          String toolCallId) {
}
