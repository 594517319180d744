package dev.ggufserver.api.openai;

import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.generation.Timings;
import dev.ggufserver.generation.Usage;
import dev.ggufserver.output.MessageDelta;
import dev.ggufserver.output.ToolCall;
import java.util.List;

/**
 * What differs between /v1/chat/completions and /v1/completions: the objects they answer with. Everything else
 * (waiting, generating, streaming, errors) is shared by {@link CompletionResponder}.
 */
abstract class ResponseShape {
    protected final String id;
    protected final long created;
    protected final String model;
    /** JSON null on every chunk when include_usage is on (as OpenAI sends it), absent otherwise. */
    protected final Object usagePlaceholder;

    ResponseShape(String id, long created, String model, Object usagePlaceholder) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.usagePlaceholder = usagePlaceholder;
    }

    /** Chunk that opens a stream, or null when the endpoint has none. */
    abstract Object firstChunk();

    /** Chunks for one step: reasoning, content, then one chunk per tool-call piece (empty parts make none). */
    abstract List<Object> deltaChunks(MessageDelta delta);

    /** The last chunk with choices: finish reason, empty delta, and the request's timings. */
    abstract Object finishChunk(FinishReason reason, Timings timings);

    abstract Object usageChunk(Usage usage);

    /** The whole non-streamed response. */
    abstract Object complete(String reasoning, String content, List<ToolCall> toolCalls, FinishReason reason,
                             Usage usage, Timings timings);

    static String wireName(FinishReason reason) {
        return switch (reason) {
            case LENGTH -> "length";
            case TOOL_CALLS -> "tool_calls";
            case STOP, CANCELLED -> "stop";
        };
    }
}
