package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The body of {@code POST /v1/embeddings}, as OpenAI's {@code EmbeddingCreateParams} names it; see
 * {@link ChatCompletionRequest} for the conventions. {@code user} is accepted and ignored.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EmbeddingRequest(
        String model,
        EmbeddingRequestInput input,
        JsonNode encodingFormat,
        JsonNode dimensions,
        String user,
        JsonNode keepAlive) {
}
