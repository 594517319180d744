package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;

/** The body of {@code POST /v1/completions}; see {@link ChatCompletionRequest} for the conventions. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CompletionRequest(
        String model,
        Prompt prompt,
        Boolean stream,
        StreamOptions streamOptions,
        JsonNode maxTokens,
        JsonNode maxCompletionTokens,
        JsonNode temperature,
        JsonNode topP,
        JsonNode topK,
        JsonNode minP,
        JsonNode seed,
        JsonNode presencePenalty,
        JsonNode frequencyPenalty,
        JsonNode repeatPenalty,
        Boolean ignoreEos,
        JsonNode logitBias,
        Stop stop,
        JsonNode n,
        ResponseFormat responseFormat,
        JsonNode grammar,
        JsonNode echo,
        JsonNode bestOf,
        JsonNode suffix,
        JsonNode logprobs,
        JsonNode keepAlive) implements SamplingFields {
}
