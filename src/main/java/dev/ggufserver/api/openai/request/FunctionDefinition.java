package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code tools[i].function}: a function the model may call. {@code parameters} stays JSON (a JSON Schema for the
 * arguments object) so that the validator can name what is wrong in it and the grammar compiler can read it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FunctionDefinition(String name, String description, JsonNode parameters, Boolean strict) {
}
