package dev.ggufserver.generation;

/**
 * Where one request's time went, as llama-server reports it (plus the queue).
 *
 * @param queueMs     waiting for a slot
 * @param promptMs    from the engine's start to the first piece (prompt processing and the first token)
 * @param predictedMs from the first piece to the end (the remaining tokens)
 */
public record Timings(double queueMs, int promptTokens, double promptMs, int predictedTokens, double predictedMs) {
    public double promptPerSecond() {
        return promptMs > 0 ? promptTokens * 1000.0 / promptMs : 0;
    }

    /** Decode speed, counting the tokens after the first one (which belongs to prompt processing's time). */
    public double predictedPerSecond() {
        return predictedMs > 0 && predictedTokens > 1 ? (predictedTokens - 1) * 1000.0 / predictedMs : 0;
    }
}
