package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The body of {@code POST /v1/chat/completions}, bound by Jackson with the server's snake_case naming
 * ({@code maxTokens} is {@code max_tokens}). Unknown fields are ignored. Fields for features not implemented yet
 * (legacy functions, logprobs, audio...) are JSON nodes: the validator refuses them by name.
 * The reasoning controls ({@code reasoningEffort}, the budget in tokens under llama-server's two names,
 * {@code chatTemplateKwargs}) are JSON nodes checked by the validator.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatCompletionRequest(
        String model,
        List<ChatMessage> messages,
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
        List<Tool> tools,
        ToolChoice toolChoice,
        JsonNode functions,
        JsonNode functionCall,
        JsonNode logprobs,
        JsonNode topLogprobs,
        JsonNode audio,
        JsonNode prediction,
        JsonNode webSearchOptions,
        String reasoningFormat,
        Boolean parallelToolCalls,
        JsonNode reasoningEffort,
        JsonNode thinkingBudgetTokens,
        JsonNode reasoningBudgetTokens,
        JsonNode chatTemplateKwargs,
        JsonNode keepAlive) implements SamplingFields {
}
