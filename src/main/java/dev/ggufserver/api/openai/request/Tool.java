package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** One entry of {@code tools}: {@code type} is "function" (the only kind there is), {@code function} says which. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Tool(String type, FunctionDefinition function) {
}
