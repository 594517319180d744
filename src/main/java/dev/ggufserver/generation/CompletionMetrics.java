package dev.ggufserver.generation;

import dev.ggufserver.engine.FinishReason;

/** What the generation path reports for metrics; the server implements it with Micrometer. */
public interface CompletionMetrics {
    /** A request was turned away because the queue was full or the wait too long. */
    void rejected();

    void admitted(double queueMs);

    void firstToken(double millisFromAdmission);

    void finished(FinishReason reason, Usage usage, Timings timings);

    /** The client left before the end (while queued, in prompt processing or decoding). */
    void clientGone(int tokensGenerated);

    /** A complete constrained answer failed the check in Java: a bug in the grammar compiler. */
    void structuredOutputInvalid();

    CompletionMetrics NONE = new CompletionMetrics() {
        @Override
        public void rejected() {
        }

        @Override
        public void admitted(double queueMs) {
        }

        @Override
        public void firstToken(double millisFromAdmission) {
        }

        @Override
        public void finished(FinishReason reason, Usage usage, Timings timings) {
        }

        @Override
        public void clientGone(int tokensGenerated) {
        }

        @Override
        public void structuredOutputInvalid() {
        }
    };
}
