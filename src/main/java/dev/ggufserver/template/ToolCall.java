package dev.ggufserver.template;

/**
 * An earlier call of a function, as an assistant message carries it. {@code arguments} is the JSON object text the
 * client sent (OpenAI's {@code function.arguments}).
 */
public record ToolCall(String id, String name, String arguments) {
}
