package dev.ggufserver.generation;

import dev.ggufserver.engine.Engine;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationResult;
import dev.ggufserver.engine.SlotGate;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkSplitter;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one generation path: wait for a slot, generate, and pass each piece through the stop filter and the think
 * splitter to a {@link CompletionSink}. Streaming and non-streaming differ only in the sink.
 */
public final class CompletionRunner {
    private static final Logger log = LoggerFactory.getLogger(CompletionRunner.class);

    private final Engine engine;
    private final SlotGate gate;
    private final ScheduledExecutorService keepAliveTimer;
    private final long keepAliveMillis;
    private final RunStats stats = new RunStats();

    public CompletionRunner(Engine engine, SlotGate gate, ScheduledExecutorService keepAliveTimer,
                            Duration keepAliveInterval) {
        this.engine = engine;
        this.gate = gate;
        this.keepAliveTimer = keepAliveTimer;
        this.keepAliveMillis = Math.max(1, keepAliveInterval.toMillis());
    }

    public RunStats stats() {
        return stats;
    }

    /** How a run ended, for logs and metrics. */
    public enum Outcome { FINISHED, CLIENT_GONE }

    public Outcome run(PreparedCompletion completion, CompletionSink sink)
            throws EngineException, IOException, InterruptedException {
        Run run = new Run(completion, sink);
        try (SlotGate.Slot slot = gate.acquire(keepAliveMillis, run::keepAliveWhileQueued)) {
            if (slot == null) {
                stats.recordClientGone(0);
                return Outcome.CLIENT_GONE;
            }
            sink.begin();
            ScheduledFuture<?> keepAlive = keepAliveTimer.scheduleAtFixedRate(run::keepAliveWhileGenerating,
                    keepAliveMillis, keepAliveMillis, TimeUnit.MILLISECONDS);
            GenerationResult result;
            try {
                result = engine.generate(completion.request(), run::onPiece);
            } finally {
                keepAlive.cancel(false);
            }
            if (run.clientGone != null) {
                log.info("Client went away; generation stopped after {} tokens", result.completionTokens());
                stats.recordClientGone(result.completionTokens());
                return Outcome.CLIENT_GONE;
            }
            run.finish(result);
            stats.recordFinished();
            return Outcome.FINISHED;
        }
    }

    /** The state of one completion while it runs. */
    private final class Run {
        private final CompletionSink sink;
        private final StopFilter stopFilter;
        private final ThinkSplitter splitter;
        /** Follows the raw text to tell which tokens were thinking (the splitter itself sees text late). */
        private final ThinkSplitter thoughtTracker;
        private final int promptTokens;
        private volatile IOException clientGone;
        private volatile long lastPieceNanos = System.nanoTime();
        private int reasoningTokens;

        Run(PreparedCompletion completion, CompletionSink sink) {
            this.sink = sink;
            this.stopFilter = new StopFilter(completion.stops());
            String prompt = completion.request().prompt();
            ReasoningFormat format = completion.splitReasoning() ? completion.reasoningFormat() : ReasoningFormat.NONE;
            this.splitter = format.splitterFor(prompt);
            this.thoughtTracker = ReasoningFormat.DEEPSEEK.splitterFor(prompt);
            this.promptTokens = completion.request().promptTokens();
        }

        boolean keepAliveWhileQueued() {
            try {
                sink.keepAlive();
                return true;
            } catch (IOException e) {
                clientGone = e;
                return false;
            }
        }

        void keepAliveWhileGenerating() {
            if (System.nanoTime() - lastPieceNanos < TimeUnit.MILLISECONDS.toNanos(keepAliveMillis)) {
                return; // text is flowing: no keep-alive needed
            }
            keepAliveWhileQueued();
        }

        /** The engine's listener: false stops generation. */
        boolean onPiece(String text, int tokens) {
            lastPieceNanos = System.nanoTime();
            boolean wasThinking = thoughtTracker.isInsideThought();
            thoughtTracker.accept(text);
            if (wasThinking || thoughtTracker.isInsideThought()) {
                reasoningTokens += tokens;
            }
            if (clientGone != null) {
                return false;
            }
            emit(splitter.accept(stopFilter.accept(text)));
            return clientGone == null && !stopFilter.stopped();
        }

        void finish(GenerationResult result) throws IOException {
            emit(splitter.accept(stopFilter.finish()));
            emit(splitter.finish());
            if (clientGone != null) {
                throw clientGone;
            }
            FinishReason reason = stopFilter.stopped() ? FinishReason.STOP : result.reason();
            sink.finish(reason, new Usage(promptTokens, result.completionTokens(), reasoningTokens));
        }

        private void emit(ThinkSplitter.Split split) {
            if (split.isEmpty() || clientGone != null) {
                return;
            }
            try {
                sink.delta(split.reasoning(), split.content());
            } catch (IOException e) {
                clientGone = e;
            }
        }
    }
}
