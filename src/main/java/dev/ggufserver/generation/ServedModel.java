package dev.ggufserver.generation;

import dev.ggufserver.engine.Engine;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.engine.SlotGate;
import dev.ggufserver.template.ChatTemplate;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** A model that is loaded and ready: its engine, its chat template, and the runner that feeds it. */
public record ServedModel(Engine engine, ChatTemplate template, CompletionRunner runner,
                          ReasoningFormat defaultReasoningFormat) {
    /** Wires a loaded engine to its slot gate and keep-alive timer. */
    public static ServedModel of(Engine engine, ChatTemplate template, ReasoningFormat defaultReasoningFormat,
                                 Duration keepAliveInterval) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sse-keep-alive");
            t.setDaemon(true);
            return t;
        });
        CompletionRunner runner = new CompletionRunner(engine, new SlotGate(engine.info().parallel()), timer,
                keepAliveInterval);
        return new ServedModel(engine, template, runner, defaultReasoningFormat);
    }

    public ModelInfo info() {
        return engine.info();
    }
}
