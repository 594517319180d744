package dev.ggufserver.engine;

import java.util.Map;

/**
 * Sampling settings of one request; {@code null} means the engine's default. Values are validated before they get
 * here: non-finite or out-of-range numbers never reach native code.
 */
public record Sampling(Double temperature, Double topP, Integer topK, Double minP, Long seed,
                       Double presencePenalty, Double frequencyPenalty, Double repeatPenalty, boolean ignoreEos,
                       Map<Integer, Float> logitBias) {

    public Sampling {
        logitBias = Map.copyOf(logitBias);
    }

    public static Sampling defaults() {
        return new Sampling(null, null, null, null, null, null, null, null, false, Map.of());
    }

    public static Sampling greedy() {
        return new Sampling(0.0, null, null, null, null, null, null, null, false, Map.of());
    }
}
