package dev.ggufserver.template;

import java.util.Map;

/**
 * A function the model may call, as templates see it in {@code tools}: {@code description} may be null,
 * {@code parameters} is the JSON Schema of its arguments as plain maps, lists, strings, numbers and booleans.
 */
public record ToolDefinition(String name, String description, Map<String, Object> parameters) {
}
