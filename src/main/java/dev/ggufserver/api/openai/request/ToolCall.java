package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * An assistant message's earlier tool call. {@code arguments} is JSON text in OpenAI's API; it stays a node so
 * that clients sending an object can be accepted or refused when tools are implemented.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ToolCall(String id, String type, Function function) {
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Function(String name, JsonNode arguments) {
    }
}
