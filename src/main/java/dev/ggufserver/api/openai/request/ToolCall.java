package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * An assistant message's earlier tool call. {@code arguments} is JSON text in OpenAI's API; it stays a node so
 * that the validator can tell a client that sent an object (or anything else) what it must be.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ToolCall(String id, String type, Function function) {
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Function(String name, JsonNode arguments) {
    }
}
