package dev.ggufserver.generation;

import dev.ggufserver.engine.AdmissionQueue;
import dev.ggufserver.engine.Engine;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationResult;
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
 * The one generation path: wait in the admission queue, generate, and pass each piece through the stop filter and
 * the think splitter to a {@link CompletionSink}. Streaming and non-streaming differ only in the sink.
 *
 * <p>A client that leaves is noticed while queued (every {@link #PROBE_MILLIS}), during prompt processing (by the
 * probe timer) and while decoding (at every piece), and its generation stops within one token.
 */
public final class CompletionRunner {
    private static final Logger log = LoggerFactory.getLogger(CompletionRunner.class);
    /** How often a waiting request checks on its client. */
    static final long PROBE_MILLIS = 100;

    private final Engine engine;
    private final AdmissionQueue queue;
    private final ScheduledExecutorService timer;
    private final long keepAliveNanos;
    private final CompletionMetrics metrics;
    private final RunStats stats = new RunStats();

    public CompletionRunner(Engine engine, AdmissionQueue queue, ScheduledExecutorService timer,
                            Duration keepAliveInterval, CompletionMetrics metrics) {
        this.engine = engine;
        this.queue = queue;
        this.timer = timer;
        this.keepAliveNanos = Math.max(1, keepAliveInterval.toNanos());
        this.metrics = metrics;
    }

    public RunStats stats() {
        return stats;
    }

    public AdmissionQueue queue() {
        return queue;
    }

    /** How a run ended, for logs and metrics. */
    public enum Outcome { FINISHED, CLIENT_GONE }

    public Outcome run(PreparedCompletion completion, CompletionSink sink)
            throws EngineException, IOException, InterruptedException {
        Run run = new Run(completion, sink);
        long queuedAt = System.nanoTime();
        AdmissionQueue.Slot slot;
        try {
            slot = queue.acquire(PROBE_MILLIS, run::stillWantedWhileQueued);
        } catch (AdmissionQueue.OverloadedException e) {
            metrics.rejected();
            throw e;
        }
        if (slot == null) {
            return run.gone(0);
        }
        try (slot) {
            run.admittedAt = System.nanoTime();
            metrics.admitted((run.admittedAt - queuedAt) / 1e6);
            run.queueMs = (run.admittedAt - queuedAt) / 1e6;
            sink.begin();
            ScheduledFuture<?> watch = timer.scheduleAtFixedRate(run::watchWhileGenerating, PROBE_MILLIS,
                    PROBE_MILLIS, TimeUnit.MILLISECONDS);
            GenerationResult result;
            try {
                result = engine.generate(completion.request(), run::onPiece);
            } finally {
                watch.cancel(false);
            }
            if (run.clientGone != null) {
                return run.gone(result.completionTokens());
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
        private volatile long lastActivityNanos = System.nanoTime();
        private long admittedAt;
        private long firstPieceAt;
        private double queueMs;
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

        Outcome gone(int tokens) {
            log.info("Client went away; generation stopped after {} tokens", tokens);
            stats.recordClientGone(tokens);
            metrics.clientGone(tokens);
            return Outcome.CLIENT_GONE;
        }

        /** Asked while queued: keep the connection alive when quiet, and find out whether anyone still waits. */
        boolean stillWantedWhileQueued() {
            keepAliveIfQuiet();
            return !probeGone();
        }

        /** True once the client is known gone, from a failed write or from the connection probe. */
        private boolean probeGone() {
            if (clientGone == null && sink.clientGone()) {
                clientGone = new IOException("the client closed the connection");
            }
            return clientGone != null;
        }

        void watchWhileGenerating() {
            stillWantedWhileQueued();
        }

        private void keepAliveIfQuiet() {
            if (System.nanoTime() - lastActivityNanos < keepAliveNanos) {
                return;
            }
            lastActivityNanos = System.nanoTime();
            try {
                sink.keepAlive();
            } catch (IOException e) {
                clientGone = e;
            }
        }

        /** The engine's listener: false stops generation. */
        boolean onPiece(String text, int tokens) {
            lastActivityNanos = System.nanoTime();
            if (firstPieceAt == 0) {
                firstPieceAt = lastActivityNanos;
                metrics.firstToken((firstPieceAt - admittedAt) / 1e6);
            }
            boolean wasThinking = thoughtTracker.isInsideThought();
            thoughtTracker.accept(text);
            if (wasThinking || thoughtTracker.isInsideThought()) {
                reasoningTokens += tokens;
            }
            if (probeGone()) {
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
            long end = System.nanoTime();
            long first = firstPieceAt == 0 ? end : firstPieceAt;
            Timings timings = new Timings(queueMs, promptTokens, (first - admittedAt) / 1e6,
                    result.completionTokens(), (end - first) / 1e6);
            FinishReason reason = stopFilter.stopped() ? FinishReason.STOP : result.reason();
            Usage usage = new Usage(promptTokens, result.completionTokens(), reasoningTokens);
            metrics.finished(reason, usage, timings);
            sink.finish(reason, usage, timings);
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
