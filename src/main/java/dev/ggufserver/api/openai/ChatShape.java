package dev.ggufserver.api.openai;

import dev.ggufserver.api.openai.OpenAiTypes.AssistantMessage;
import dev.ggufserver.api.openai.OpenAiTypes.ChatChoice;
import dev.ggufserver.api.openai.OpenAiTypes.ChatCompletion;
import dev.ggufserver.api.openai.OpenAiTypes.ChatCompletionChunk;
import dev.ggufserver.api.openai.OpenAiTypes.ChunkChoice;
import dev.ggufserver.api.openai.OpenAiTypes.Delta;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.generation.Timings;
import dev.ggufserver.generation.Usage;
import dev.ggufserver.output.MessageDelta;
import dev.ggufserver.output.ToolCall;
import dev.ggufserver.output.ToolCallDelta;
import java.util.ArrayList;
import java.util.List;

/** Chat completion objects and chunks for one response (one id, one created time). */
final class ChatShape extends ResponseShape {
    ChatShape(String id, long created, String model, Object usagePlaceholder) {
        super(id, created, model, usagePlaceholder);
    }

    private ChatCompletionChunk chunk(Delta delta, String finishReason) {
        return chunk(delta, finishReason, null);
    }

    private ChatCompletionChunk chunk(Delta delta, String finishReason, Timings timings) {
        return new ChatCompletionChunk(id, created, model, List.of(new ChunkChoice(0, delta, null, finishReason)),
                usagePlaceholder, timings == null ? null : OpenAiTypes.Timings.of(timings));
    }

    @Override
    Object firstChunk() {
        return chunk(new Delta("assistant", null, null), null);
    }

    @Override
    List<Object> deltaChunks(MessageDelta delta) {
        List<Object> chunks = new ArrayList<>(2 + delta.toolCalls().size());
        if (!delta.reasoning().isEmpty()) {
            chunks.add(chunk(new Delta(null, null, delta.reasoning()), null));
        }
        if (!delta.content().isEmpty()) {
            chunks.add(chunk(new Delta(null, delta.content(), null), null));
        }
        for (ToolCallDelta call : delta.toolCalls()) { // one call piece per chunk, as OpenAI streams them
            if (call.isStart() || !call.arguments().isEmpty()) {
                chunks.add(chunk(new Delta(null, null, null, List.of(OpenAiTypes.ToolCallChunk.of(call))), null));
            }
        }
        return chunks;
    }

    @Override
    Object finishChunk(FinishReason reason, Timings timings) {
        return chunk(new Delta(null, null, null), ResponseShape.wireName(reason), timings);
    }

    @Override
    Object usageChunk(Usage usage) {
        return new ChatCompletionChunk(id, created, model, List.of(), OpenAiTypes.Usage.of(usage), null);
    }

    @Override
    Object complete(String reasoning, String content, List<ToolCall> toolCalls, FinishReason reason, Usage usage,
                    Timings timings) {
        AssistantMessage message = toolCalls.isEmpty()
                ? new AssistantMessage("assistant", content, reasoning.isEmpty() ? null : reasoning)
                : new AssistantMessage("assistant", content.isEmpty() ? null : content,
                        reasoning.isEmpty() ? null : reasoning,
                        toolCalls.stream().map(OpenAiTypes.ToolCall::of).toList());
        return new ChatCompletion(id, created, model,
                List.of(new ChatChoice(0, message, null, ResponseShape.wireName(reason))), OpenAiTypes.Usage.of(usage),
                OpenAiTypes.Timings.of(timings));
    }
}
