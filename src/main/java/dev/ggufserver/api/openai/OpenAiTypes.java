package dev.ggufserver.api.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * Response bodies, named and shaped as OpenAI names them. Serialized with snake_case names and null fields left
 * out, except where OpenAI sends an explicit {@code null} (marked {@code ALWAYS}).
 */
public final class OpenAiTypes {
    private OpenAiTypes() {
    }

    public record ChatCompletion(String id, String object, long created, String model, List<ChatChoice> choices,
                                 Usage usage, Timings timings) {
        public ChatCompletion(String id, long created, String model, List<ChatChoice> choices, Usage usage,
                              Timings timings) {
            this(id, "chat.completion", created, model, choices, usage, timings);
        }
    }

    public record ChatChoice(int index, AssistantMessage message,
                             @JsonInclude(JsonInclude.Include.ALWAYS) Object logprobs, String finishReason) {
    }

    /** {@code content} is an explicit null when the answer is only tool calls, as OpenAI sends it. */
    public record AssistantMessage(String role, @JsonInclude(JsonInclude.Include.ALWAYS) String content,
                                   String reasoningContent, List<ToolCall> toolCalls) {
        public AssistantMessage(String role, String content, String reasoningContent) {
            this(role, content, reasoningContent, null);
        }
    }

    public record ToolCall(String id, String type, Function function) {
        public static ToolCall of(dev.ggufserver.output.ToolCall call) {
            return new ToolCall(call.id(), "function", new Function(call.name(), call.arguments()));
        }
    }

    public record Function(String name, String arguments) {
    }

    /** A streamed piece of a tool call: the first has id, type and name; later ones only index and arguments. */
    public record ToolCallChunk(int index, String id, String type, Function function) {
        public static ToolCallChunk of(dev.ggufserver.output.ToolCallDelta delta) {
            return delta.isStart()
                    ? new ToolCallChunk(delta.index(), delta.id(), "function", new Function(delta.name(), ""))
                    : new ToolCallChunk(delta.index(), null, null, new Function(null, delta.arguments()));
        }
    }

    /** One SSE chunk; {@code usage} is a JSON null on every chunk but the last when include_usage is on. */
    public record ChatCompletionChunk(String id, String object, long created, String model, List<ChunkChoice> choices,
                                      Object usage, Timings timings) {
        public ChatCompletionChunk(String id, long created, String model, List<ChunkChoice> choices, Object usage,
                                   Timings timings) {
            this(id, "chat.completion.chunk", created, model, choices, usage, timings);
        }
    }

    public record ChunkChoice(int index, Delta delta, @JsonInclude(JsonInclude.Include.ALWAYS) Object logprobs,
                              @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason) {
    }

    public record Delta(String role, String content, String reasoningContent, List<ToolCallChunk> toolCalls) {
        public Delta(String role, String content, String reasoningContent) {
            this(role, content, reasoningContent, null);
        }
    }

    public record TextCompletion(String id, String object, long created, String model, List<TextChoice> choices,
                                 Object usage, Timings timings) {
        public TextCompletion(String id, long created, String model, List<TextChoice> choices, Object usage,
                              Timings timings) {
            this(id, "text_completion", created, model, choices, usage, timings);
        }
    }

    public record TextChoice(String text, int index, @JsonInclude(JsonInclude.Include.ALWAYS) Object logprobs,
                             @JsonInclude(JsonInclude.Include.ALWAYS) String finishReason) {
    }

    public record Usage(int promptTokens, int completionTokens, int totalTokens,
                        CompletionTokensDetails completionTokensDetails) {
        public static Usage of(dev.ggufserver.generation.Usage usage) {
            return new Usage(usage.promptTokens(), usage.completionTokens(), usage.totalTokens(),
                    new CompletionTokensDetails(usage.reasoningTokens()));
        }
    }

    public record CompletionTokensDetails(int reasoningTokens) {
    }

    /** llama-server's per-request timings (milliseconds), plus the time spent waiting for a slot. */
    public record Timings(int promptN, double promptMs, double promptPerSecond, int predictedN, double predictedMs,
                          double predictedPerSecond, double queueMs) {
        public static Timings of(dev.ggufserver.generation.Timings t) {
            return new Timings(t.promptTokens(), round(t.promptMs()), round(t.promptPerSecond()), t.predictedTokens(),
                    round(t.predictedMs()), round(t.predictedPerSecond()), round(t.queueMs()));
        }

        private static double round(double v) {
            return Math.round(v * 1000) / 1000.0;
        }
    }

    /** OpenAI's {@code CreateEmbeddingResponse}. */
    public record EmbeddingList(String object, List<Embedding> data, String model, EmbeddingUsage usage) {
        public EmbeddingList(List<Embedding> data, String model, EmbeddingUsage usage) {
            this("list", data, model, usage);
        }
    }

    /** One vector: {@code embedding} is an array of floats, or their little-endian float32 bytes in base64. */
    public record Embedding(String object, int index, Object embedding) {
        public Embedding(int index, Object embedding) {
            this("embedding", index, embedding);
        }
    }

    public record EmbeddingUsage(int promptTokens, int totalTokens) {
    }

    public record ModelList(String object, List<Model> data) {
        public ModelList(List<Model> data) {
            this("list", data);
        }
    }

    /** OpenAI's model object plus a {@code meta} object of our own, as llama-server adds one. */
    public record Model(String id, String object, long created, String ownedBy, Map<String, Object> meta) {
    }

    public record ErrorResponse(ErrorBody error) {
    }

    public record ErrorBody(String message, String type,
                            @JsonInclude(JsonInclude.Include.ALWAYS) String param,
                            @JsonInclude(JsonInclude.Include.ALWAYS) String code) {
    }
}
