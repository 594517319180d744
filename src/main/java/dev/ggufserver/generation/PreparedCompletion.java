package dev.ggufserver.generation;

import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.grammar.StructuredOutput;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkingBudget;
import java.util.List;

/**
 * A validated and rendered request, ready to run (the engine counts its tokens).
 *
 * @param splitReasoning false for raw completions (/v1/completions never splits thinking)
 * @param output         what the answer must be (its constraint is the request's), or null for free text
 * @param thinksFirst    the model thinks before it answers: a constraint holds only after the thought, which is
 *                       generated free (see {@link CompletionRunner}); false constrains from the first token
 * @param tools          how tool calls are read and guarded; null without tools (or with tool_choice none)
 * @param thinking       how long the thought may be (a cut thought is closed and the answer follows)
 * @param id             the completion's id, by which its caller may end the thinking at once
 *                       ({@link CompletionRunner#endThinking}); null: not controllable
 * @param caller         who may control it: the caller's API key digest, or null when keys are off
 */
public record PreparedCompletion(GenerationRequest request, List<String> stops, ReasoningFormat reasoningFormat,
                                 boolean splitReasoning, StructuredOutput output, boolean thinksFirst,
                                 ToolUse tools, ThinkingBudget thinking, String id, String caller) {
    public PreparedCompletion {
        stops = List.copyOf(stops);
        thinking = thinking == null ? ThinkingBudget.NONE : thinking;
        if ((output == null) != (request.constraint() == null)
                || (output != null && !output.constraint().equals(request.constraint()))) {
            throw new IllegalArgumentException("the request must carry the output's constraint, and only it");
        }
    }

    /** Unlimited thinking, not controllable. */
    public PreparedCompletion(GenerationRequest request, List<String> stops, ReasoningFormat reasoningFormat,
                              boolean splitReasoning, StructuredOutput output, boolean thinksFirst,
                              ToolUse tools) {
        this(request, stops, reasoningFormat, splitReasoning, output, thinksFirst, tools, null, null, null);
    }

    /** The same completion under {@code budget}, controllable by its caller under {@code id}. */
    public PreparedCompletion withThinking(ThinkingBudget budget, String id, String caller) {
        return new PreparedCompletion(request, stops, reasoningFormat, splitReasoning, output, thinksFirst, tools,
                budget, id, caller);
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
