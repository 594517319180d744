package dev.ggufserver.generation;

import dev.ggufserver.engine.Embedding;
import dev.ggufserver.engine.EmbeddingInput;
import dev.ggufserver.engine.Engine;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkingBudgets;
import dev.ggufserver.engine.AdmissionQueue;
import dev.ggufserver.template.ChatTemplate;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A model that is loaded and ready: its engine, its chat template, the runner that feeds it, and the server's
 * defaults for its thinking.
 */
public record ServedModel(Engine engine, ChatTemplate template, CompletionRunner runner,
                          ReasoningFormat defaultReasoningFormat, ThinkingBudgets thinkingBudgets) {
    /** Wires a loaded engine to its admission queue, keep-alive timer and metrics. */
    public static ServedModel of(Engine engine, ChatTemplate template, ReasoningFormat defaultReasoningFormat,
                                 ThinkingBudgets thinkingBudgets, Duration keepAliveInterval, int maxQueue,
                                 Duration queueTimeout, CompletionMetrics metrics) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sse-keep-alive");
            t.setDaemon(true);
            return t;
        });
        CompletionRunner runner = new CompletionRunner(engine,
                new AdmissionQueue(engine.info().parallel(), maxQueue, queueTimeout), timer, keepAliveInterval,
                metrics);
        return new ServedModel(engine, template, runner, defaultReasoningFormat, thinkingBudgets);
    }

    /** With the default budgets and queue (64 waiting, 10 minutes) and no metrics: for tests and tools. */
    public static ServedModel of(Engine engine, ChatTemplate template, ReasoningFormat defaultReasoningFormat,
                                 Duration keepAliveInterval) {
        return of(engine, template, defaultReasoningFormat, ThinkingBudgets.DEFAULTS, keepAliveInterval, 64,
                Duration.ofMinutes(10), CompletionMetrics.NONE);
    }

    public ModelInfo info() {
        return engine.info();
    }

    /**
     * Embeds the inputs in one admission slot: an embedding model's requests queue for its slots as completions
     * do for a chat model's.
     *
     * @return the vectors in input order, or null when the client left while the request was queued
     * @throws AdmissionQueue.OverloadedException when the queue is full or the wait too long
     */
    public java.util.List<Embedding> embed(java.util.List<EmbeddingInput> inputs, BooleanSupplier stillWanted)
            throws EngineException, InterruptedException {
        AdmissionQueue.Slot slot = runner.queue().acquire(CompletionRunner.PROBE_MILLIS, stillWanted);
        if (slot == null) {
            return null;
        }
        try (slot) {
            return engine.embed(inputs);
        }
    }

    /** Unloads the model: its runner's timer stops and its engine (process) ends. */
    public void close() {
        runner.close();
        engine.close();
    }
}
