package dev.ggufserver.generation;

import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.grammar.StructuredOutput;
import dev.ggufserver.reasoning.ReasoningFormat;
import java.util.List;

/**
 * A validated and rendered request, ready to run (the engine counts its tokens).
 *
 * @param splitReasoning false for raw completions (/v1/completions never splits thinking)
 * @param output         what the answer must be (its constraint is the request's), or null for free text
 * @param thinksFirst    the model thinks before it answers: a constraint holds only after the thought, which is
 *                       generated free (see {@link CompletionRunner}); false constrains from the first token
 * @param tools          how tool calls are read and guarded; null without tools (or with tool_choice none)
 */
public record PreparedCompletion(GenerationRequest request, List<String> stops, ReasoningFormat reasoningFormat,
                                 boolean splitReasoning, StructuredOutput output, boolean thinksFirst,
                                 ToolUse tools) {
    public PreparedCompletion {
        stops = List.copyOf(stops);
        if ((output == null) != (request.constraint() == null)
                || (output != null && !output.constraint().equals(request.constraint()))) {
            throw new IllegalArgumentException("the request must carry the output's constraint, and only it");
        }
    }

    /** Without tools. */
    public PreparedCompletion(GenerationRequest request, List<String> stops, ReasoningFormat reasoningFormat,
                              boolean splitReasoning, StructuredOutput output, boolean thinksFirst) {
        this(request, stops, reasoningFormat, splitReasoning, output, thinksFirst, null);
    }

    /** Free text. */
    public PreparedCompletion(GenerationRequest request, List<String> stops, ReasoningFormat reasoningFormat,
                              boolean splitReasoning) {
        this(request, stops, reasoningFormat, splitReasoning, null, false, null);
    }
}
