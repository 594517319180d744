package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The fields both endpoints share. Numbers stay JSON nodes so that the validator can tell {@code 1e400}, 2^80,
 * {@code 2.5} and {@code "10"} apart and name each in its own words; Jackson's coercions would blur them.
 */
public interface SamplingFields {
    String model();

    Boolean stream();

    StreamOptions streamOptions();

    JsonNode maxTokens();

    JsonNode maxCompletionTokens();

    JsonNode temperature();

    JsonNode topP();

    JsonNode topK();

    JsonNode minP();

    JsonNode seed();

    JsonNode presencePenalty();

    JsonNode frequencyPenalty();

    JsonNode repeatPenalty();

    Boolean ignoreEos();

    JsonNode logitBias();

    /** Ollama's: how long the model stays loaded after this request. */
    JsonNode keepAlive();

    Stop stop();

    JsonNode n();

    /** {@code response_format}: text, json_object or json_schema. */
    ResponseFormat responseFormat();

    /** {@code grammar}: GBNF text, an extension llama-server has too. */
    JsonNode grammar();
}
