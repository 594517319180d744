package dev.ggufserver.generation;

import dev.ggufserver.engine.Engine;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.engine.AdmissionQueue;
import dev.ggufserver.template.ChatTemplate;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** A model that is loaded and ready: its engine, its chat template, and the runner that feeds it. */
public record ServedModel(Engine engine, ChatTemplate template, CompletionRunner runner,
                          ReasoningFormat defaultReasoningFormat) {
    /** Wires a loaded engine to its admission queue, keep-alive timer and metrics. */
    public static ServedModel of(Engine engine, ChatTemplate template, ReasoningFormat defaultReasoningFormat,
                                 Duration keepAliveInterval, int maxQueue, Duration queueTimeout,
                                 CompletionMetrics metrics) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sse-keep-alive");
            t.setDaemon(true);
            return t;
        });
        CompletionRunner runner = new CompletionRunner(engine,
                new AdmissionQueue(engine.info().parallel(), maxQueue, queueTimeout), timer, keepAliveInterval,
                metrics);
        return new ServedModel(engine, template, runner, defaultReasoningFormat);
    }

    /** With the default queue (64 waiting, 10 minutes) and no metrics: for tests and tools. */
    public static ServedModel of(Engine engine, ChatTemplate template, ReasoningFormat defaultReasoningFormat,
                                 Duration keepAliveInterval) {
        return of(engine, template, defaultReasoningFormat, keepAliveInterval, 64, Duration.ofMinutes(10),
                CompletionMetrics.NONE);
    }

    public ModelInfo info() {
        return engine.info();
    }
}
