package dev.ggufserver.generation;

import dev.ggufserver.engine.AdmissionQueue;
import dev.ggufserver.engine.Engine;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationListener;
import dev.ggufserver.engine.GenerationResult;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkSplitter;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
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
    private final long keepAliveNanos;
    private final CompletionMetrics metrics;
    private final RunStats stats = new RunStats();
    /** The runs being generated, watched together by one timer task (a task per request would wake the timer). */
    private final Set<Run> generating = ConcurrentHashMap.newKeySet();

    /** @param timer runs the watch over generating requests every {@link #PROBE_MILLIS} */
    public CompletionRunner(Engine engine, AdmissionQueue queue, ScheduledExecutorService timer,
                            Duration keepAliveInterval, CompletionMetrics metrics) {
        this.engine = engine;
        this.queue = queue;
        this.keepAliveNanos = Math.max(1, keepAliveInterval.toNanos());
        this.metrics = metrics;
        timer.scheduleWithFixedDelay(this::watchGenerating, PROBE_MILLIS, PROBE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** While the engine processes a prompt nothing else notices a client leaving or a quiet stream. */
    private void watchGenerating() {
        for (Run run : generating) {
            try {
                run.stillWanted();
            } catch (RuntimeException e) {
                log.warn("Watching a generation failed", e); // never let it end the timer task
            }
        }
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
            slot = queue.acquire(PROBE_MILLIS, run::stillWanted);
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
            GenerationResult result;
            generating.add(run);
            try {
                result = engine.generate(completion.request(), run);
            } finally {
                generating.remove(run);
            }
            if (run.clientGone != null) {
                return run.gone(result.completionTokens());
            }
            run.finish(result);
            stats.recordFinished();
            return Outcome.FINISHED;
        }
    }

    /** The state of one completion while it runs, and the engine's listener. */
    private final class Run implements GenerationListener {
        private final CompletionSink sink;
        private final StopFilter stopFilter;
        private final ThinkSplitter splitter;
        /** Follows the raw text to tell which tokens were thinking (the splitter itself sees text late). */
        private final ThinkSplitter thoughtTracker;
        private int promptTokens;
        private volatile IOException clientGone;
        private volatile long lastActivityNanos = System.nanoTime();
        private long admittedAt;
        private long firstPieceAt;
        private double queueMs;
        private int reasoningTokens;
        /** Tokens of the pieces this run took, up to a stop string: the engine may have made more before it heard. */
        private int acceptedTokens;

        Run(PreparedCompletion completion, CompletionSink sink) {
            this.sink = sink;
            this.stopFilter = new StopFilter(completion.stops());
            String prompt = completion.request().prompt();
            ReasoningFormat format = completion.splitReasoning() ? completion.reasoningFormat() : ReasoningFormat.NONE;
            this.splitter = format.splitterFor(prompt);
            this.thoughtTracker = ReasoningFormat.DEEPSEEK.splitterFor(prompt);
        }

        Outcome gone(int tokens) {
            log.info("Client went away; generation stopped after {} tokens", tokens);
            stats.recordClientGone(tokens);
            metrics.clientGone(tokens);
            return Outcome.CLIENT_GONE;
        }

        /**
         * Asked while waiting (queued, or generating): keep the connection alive when quiet, and find out whether
         * anyone still waits.
         */
        boolean stillWanted() {
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

        /**
         * The prompt fits: only now does the response begin, so that a prompt too long for the context is still
         * answered with a plain 400.
         */
        @Override
        public void onStart(int countedPromptTokens) {
            promptTokens = countedPromptTokens;
            try {
                sink.begin();
            } catch (IOException e) {
                clientGone = e; // the first piece stops the generation
            }
        }

        /** False stops generation. */
        @Override
        public boolean onPiece(String text, int tokens) {
            lastActivityNanos = System.nanoTime();
            if (firstPieceAt == 0) {
                firstPieceAt = lastActivityNanos;
                metrics.firstToken((firstPieceAt - admittedAt) / 1e6);
            }
            acceptedTokens += tokens;
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
            // a stop string ends the answer where it is found: tokens the engine made before it heard do not count
            int completionTokens = stopFilter.stopped() ? acceptedTokens : result.completionTokens();
            Timings timings = new Timings(queueMs, promptTokens, (first - admittedAt) / 1e6,
                    completionTokens, (end - first) / 1e6);
            FinishReason reason = stopFilter.stopped() ? FinishReason.STOP : result.reason();
            Usage usage = new Usage(promptTokens, completionTokens, reasoningTokens);
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
