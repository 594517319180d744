package dev.ggufserver.output;

/** A complete tool call, folded from its deltas: {@code arguments} is JSON text. */
public record ToolCall(String id, String name, String arguments) {
}
