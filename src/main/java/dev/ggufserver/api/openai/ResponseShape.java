package dev.ggufserver.api.openai;

import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.generation.Usage;
import java.util.List;

/**
 * What differs between /v1/chat/completions and /v1/completions: the objects they answer with. Everything else
 * (waiting, generating, streaming, errors) is shared by {@link CompletionResponder}.
 */
interface ResponseShape {
    /** Chunk that opens a stream, or null when the endpoint has none. */
    Object firstChunk();

    /** Chunks for one step's reasoning and content (reasoning first; empty parts make no chunk). */
    List<Object> deltaChunks(String reasoning, String content);

    Object finishChunk(FinishReason reason);

    Object usageChunk(Usage usage);

    /** The whole non-streamed response. */
    Object complete(String reasoning, String content, FinishReason reason, Usage usage);

    static String wireName(FinishReason reason) {
        return reason == FinishReason.LENGTH ? "length" : "stop";
    }
}
