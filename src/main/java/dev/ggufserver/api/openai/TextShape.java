package dev.ggufserver.api.openai;

import dev.ggufserver.api.openai.OpenAiTypes.TextChoice;
import dev.ggufserver.api.openai.OpenAiTypes.TextCompletion;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.generation.Timings;
import dev.ggufserver.generation.Usage;
import dev.ggufserver.output.MessageDelta;
import dev.ggufserver.output.ToolCall;
import java.util.List;

/** Legacy text completion objects: the raw continuation, no roles, no reasoning split. */
final class TextShape extends ResponseShape {
    TextShape(String id, long created, String model, Object usagePlaceholder) {
        super(id, created, model, usagePlaceholder);
    }

    private TextCompletion chunk(String text, String finishReason, Timings timings) {
        return new TextCompletion(id, created, model, List.of(new TextChoice(text, 0, null, finishReason)),
                usagePlaceholder, timings == null ? null : OpenAiTypes.Timings.of(timings));
    }

    @Override
    Object firstChunk() {
        return null;
    }

    @Override
    List<Object> deltaChunks(MessageDelta delta) {
        // raw completions never split or parse calls: only content comes
        String text = delta.reasoning() + delta.content();
        return text.isEmpty() ? List.of() : List.of(chunk(text, null, null));
    }

    @Override
    Object finishChunk(FinishReason reason, Timings timings) {
        return chunk("", ResponseShape.wireName(reason), timings);
    }

    @Override
    Object usageChunk(Usage usage) {
        return new TextCompletion(id, created, model, List.of(), OpenAiTypes.Usage.of(usage), null);
    }

    @Override
    Object complete(String reasoning, String content, List<ToolCall> toolCalls, FinishReason reason, Usage usage,
                    Timings timings) {
        return new TextCompletion(id, created, model,
                List.of(new TextChoice(reasoning + content, 0, null, ResponseShape.wireName(reason))),
                OpenAiTypes.Usage.of(usage), OpenAiTypes.Timings.of(timings));
    }
}
