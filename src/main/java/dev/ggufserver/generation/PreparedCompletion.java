package dev.ggufserver.generation;

import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.reasoning.ReasoningFormat;
import java.util.List;

/**
 * A validated and rendered request, ready to run (the engine counts its tokens).
 *
 * @param splitReasoning false for raw completions (/v1/completions never splits thinking)
 */
public record PreparedCompletion(GenerationRequest request, List<String> stops, ReasoningFormat reasoningFormat,
                                 boolean splitReasoning) {
    public PreparedCompletion {
        stops = List.copyOf(stops);
    }
}
