package dev.ggufserver.generation;

import dev.ggufserver.engine.AdmissionQueue;
import dev.ggufserver.engine.Constraint;
import dev.ggufserver.engine.ContextLengthExceededException;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.Engine;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationListener;
import dev.ggufserver.engine.GenerationResult;
import dev.ggufserver.grammar.StructuredOutput;
import dev.ggufserver.output.MessageDelta;
import dev.ggufserver.output.OutputParser;
import dev.ggufserver.output.ToolCallParser;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkingBudget;
import dev.ggufserver.reasoning.ThinkSplitter;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * <p>A structured output on a thinking model is generated in two parts, inside one admission slot: first the
 * thought, free (it stops at the thought's close tag), then the answer, constrained from its first token, as a
 * continuation of the prompt and the thought (llama.cpp's prompt cache makes that a few tokens of work). A lazy
 * grammar triggered by {@code </think>} would be the one-pass way, but llama.cpp b4916 never triggers on a special
 * token (ConstrainedGenerationTest). The client sees one generation.
 *
 * <p>A thought that reaches its budget (or whose caller asks for the answer now, {@link #endThinking}) is ended the
 * same way: the generation stops, and continues in the same slot from the prompt, the thought so far and the
 * budget's closing text ({@code \n</think>}), so that the model answers. The client sees the thought end and the
 * answer follow; no tag reaches it.
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
    private final ScheduledExecutorService timer;
    private final RunStats stats = new RunStats();
    /** The runs being generated, watched together by one timer task (a task per request would wake the timer). */
    private final Set<Run> generating = ConcurrentHashMap.newKeySet();
    /** Runs their callers may control, queued or generating, by completion id. */
    private final Map<String, Run> controllable = new ConcurrentHashMap<>();

    /** @param timer runs the watch over generating requests every {@link #PROBE_MILLIS} */
    public CompletionRunner(Engine engine, AdmissionQueue queue, ScheduledExecutorService timer,
                            Duration keepAliveInterval, CompletionMetrics metrics) {
        this.engine = engine;
        this.queue = queue;
        this.keepAliveNanos = Math.max(1, keepAliveInterval.toNanos());
        this.metrics = metrics;
        this.timer = timer;
        timer.scheduleWithFixedDelay(this::watchGenerating, PROBE_MILLIS, PROBE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Stops the timer it was given (its own: one per served model), once its model is unloaded. */
    public void close() {
        timer.shutdownNow();
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

    /** What asking a completion to end its thinking did. */
    public enum ThinkingControl {
        /** The thought ends at the next token (or never begins, if the completion is still waiting). */
        ENDING,
        /** The completion is past its thought, or does not think: nothing to end. */
        NOT_THINKING,
        /** No running completion of this caller has that id. */
        NOT_FOUND
    }

    /**
     * Ends the thinking of a running completion at once: its thought is closed and it answers.
     *
     * @param caller the caller's API key digest (null when keys are off): only a completion's own caller may end it
     */
    public ThinkingControl endThinking(String id, String caller) {
        Run run = id == null ? null : controllable.get(id);
        if (run == null || !Objects.equals(run.completion.caller(), caller)) {
            return ThinkingControl.NOT_FOUND;
        }
        return run.answerNow();
    }

    public Outcome run(PreparedCompletion completion, CompletionSink sink)
            throws EngineException, IOException, InterruptedException {
        Run run = new Run(completion, sink);
        if (completion.id() != null && controllable.putIfAbsent(completion.id(), run) != null) {
            throw new IllegalArgumentException("completion id " + completion.id() + " is already running");
        }
        try {
            return admitAndRun(run);
        } finally {
            if (completion.id() != null) {
                controllable.remove(completion.id(), run);
            }
        }
    }

    private Outcome admitAndRun(Run run) throws EngineException, IOException, InterruptedException {
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
                result = run.generate();
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
        private final OutputParser parser;
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
        private final PreparedCompletion completion;
        /** True while the free thought before a constrained answer is generated. */
        private boolean thoughtPhase;
        /** The raw text of that thought so far, and how much of it went down the normal path. */
        private final GeneratedText thought = new GeneratedText();
        private int thoughtPassed;
        /** Under tool_choice auto: watching the free answer for a call's opening marker, and what it had written. */
        private boolean watchingForCalls;
        /** The opening the answer wrote, if it opened a call. */
        private ToolUse.Opening openedBy;
        /** The raw text generated since the prompt (and the closing text of a cut thought), as the slot holds it. */
        private final GeneratedText generated = new GeneratedText();
        private int answerStart = -1;
        /** The thought must end at the next piece: the caller asked for the answer now. */
        private volatile boolean answerNow;
        /** The thought was ended (budget or caller) and the generation stopped, to continue after a closing text. */
        private boolean thoughtCut;
        /** The thought was ended by the server once already: it is never cut twice. */
        private volatile boolean thoughtClosed;
        /** The answer has begun (read by {@link #answerNow} on another thread). */
        private volatile boolean pastThought;
        /** Tokens of held text that is not yet known to be a thought. */
        private int undecidedTokens;
        /** The raw text generated under the constraint, checked at the end. */
        private final StringBuilder constrained = new StringBuilder();
        private boolean started;

        Run(PreparedCompletion completion, CompletionSink sink) {
            this.completion = completion;
            this.sink = sink;
            this.stopFilter = new StopFilter(completion.stops());
            String prompt = completion.request().prompt();
            ReasoningFormat format = completion.splitReasoning() ? completion.reasoningFormat() : ReasoningFormat.NONE;
            this.parser = new OutputParser(format.splitterFor(prompt),
                    completion.tools() == null ? ToolCallParser.NONE : completion.tools().format().newParser());
            this.thoughtTracker = ReasoningFormat.DEEPSEEK.splitterFor(prompt);
            this.pastThought = thoughtTracker.isInAnswer();
        }

        ThinkingControl answerNow() {
            if (thoughtClosed || pastThought) {
                return ThinkingControl.NOT_THINKING;
            }
            answerNow = true;
            return ThinkingControl.ENDING;
        }

        /**
         * True when the thought must end before a piece of {@code tokens} tokens that would continue it: the caller
         * asked, or the piece would take the thought past its budget.
         */
        private boolean thoughtMustEndBefore(int tokens) {
            ThinkingBudget budget = completion.thinking();
            return !thoughtClosed && (answerNow || budget.limited() && reasoningTokens + tokens > budget.tokens());
        }

        /** True when the thought, still open after the latest piece, has used all of its budget. */
        private boolean thoughtSpent() {
            ThinkingBudget budget = completion.thinking();
            return !thoughtClosed && budget.limited() && reasoningTokens >= budget.tokens()
                    && thoughtTracker.isInsideThought();
        }

        /** Follows the raw text (generated or inserted) to know where the thought is. */
        private void track(String text) {
            thoughtTracker.accept(text);
            pastThought = thoughtTracker.isInAnswer();
        }

        /** Stops the generation to continue it with the thought closed. */
        private boolean cutThought() {
            thoughtCut = true;
            return false;
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
            if (started) {
                return; // the answer after a thought: the client's prompt was counted once
            }
            started = true;
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
            if (thoughtPhase) {
                return thoughtPiece(text, tokens);
            }
            boolean wasThinking = thoughtTracker.isInsideThought();
            if (wasThinking && thoughtMustEndBefore(tokens)) {
                return cutThought(); // the piece is dropped: the thought ends before it
            }
            if (completion.output() != null) {
                constrained.append(text);
            }
            acceptedTokens += tokens;
            track(text);
            if (wasThinking || thoughtTracker.isInsideThought()) {
                reasoningTokens += tokens;
            }
            int before = generated.length();
            generated.appendPiece(text);
            if (probeGone()) {
                return false;
            }
            boolean more = watchingForCalls ? watchedPiece(text, before) : pass(text);
            return more && thoughtSpent() ? cutThought() : more;
        }

        /**
         * A piece of a free answer that may open a tool call: when the answer (not the thought) completes the
         * opening marker, the text up to the marker goes on and the generation stops, to continue constrained.
         */
        private boolean watchedPiece(String text, int before) {
            if (thoughtTracker.isInAnswer() && answerStart < 0) {
                int close = generated.indexOf(ThinkSplitter.CLOSE);
                answerStart = close < 0 ? 0 : close + ThinkSplitter.CLOSE.length();
            }
            if (answerStart < 0) {
                return pass(text);
            }
            int at = -1;
            for (ToolUse.Opening opening : completion.tools().openings()) {
                int found = find(opening, before);
                if (found >= 0 && (at < 0 || found < at)) {
                    at = found;
                    openedBy = opening;
                }
            }
            if (at < 0) {
                return pass(text);
            }
            int end = at + openedBy.text().length();
            generated.truncate(end);
            pass(text.substring(0, end - before));
            watchingForCalls = false;
            return false;
        }

        /**
         * Where {@code opening} is in the answer generated so far (-1: not there), looking only where it could have
         * been completed by the latest piece, which began at {@code before}.
         */
        private int find(ToolUse.Opening opening, int before) {
            String text = opening.text();
            if (opening.atAnswerStart()) {
                int start = answerStart;
                while (start < generated.length() && Character.isWhitespace(generated.charAt(start))) {
                    start++;
                }
                return generated.length() - start >= text.length()
                        && generated.substring(start, start + text.length()).equals(text)
                        ? start : -1;
            }
            return generated.indexOf(text, Math.max(answerStart, before - text.length() + 1));
        }

        /** Text of the answer (or of a thought that is known to be one) on its way to the client. */
        private boolean pass(String text) {
            emit(parser.accept(stopFilter.accept(text)));
            return clientGone == null && !stopFilter.stopped();
        }

        /**
         * Generates the completion: in one go, or for a constrained answer on a thinking model, the thought first
         * and then the answer (see the class comment).
         */
        GenerationResult generate() throws EngineException {
            GenerationRequest request = completion.request();
            if (completion.tools() != null && completion.tools().guardsOpenedCalls()) {
                return generateGuardingCalls(request);
            }
            if (request.constraint() == null || !completion.thinksFirst()) {
                return generateFree(request);
            }
            thoughtPhase = true;
            GenerationResult first = engine.generate(new GenerationRequest(request.prompt(), request.contentSpans(),
                    request.maxTokens(), request.sampling(), null), this);
            boolean closed = !thoughtPhase;
            thoughtPhase = false;
            if (clientGone != null || stopFilter.stopped()) {
                return first;
            }
            if (!closed && !thoughtCut && first.reason() != FinishReason.STOP) {
                return new GenerationResult(first.reason(), acceptedTokens); // the thought used max_tokens
            }
            if (!closed && (thoughtCut || thoughtTracker.isInsideThought())) {
                // cut at its budget, or ended inside the thought without closing it: close it, so that an answer
                // still comes
                String closing = thoughtCut ? completion.thinking().closing() : ThinkingBudget.NONE.closing();
                thoughtCut = false;
                thoughtClosed = true;
                if (!pass(thought.substring(thoughtPassed))) {
                    return new GenerationResult(FinishReason.STOP, acceptedTokens);
                }
                insert(closing);
                thought.appendInserted(closing);
            } else if (!closed) {
                thought.clear(); // it ended before saying whether it thinks: answer from the prompt
            }
            int used = acceptedTokens;
            int left = request.maxTokens() == GenerationRequest.UNTIL_CONTEXT_IS_FULL
                    ? GenerationRequest.UNTIL_CONTEXT_IS_FULL : request.maxTokens() - used;
            if (left < 1) {
                return new GenerationResult(FinishReason.LENGTH, used);
            }
            GenerationRequest answer = thought.isEmpty() ? request : afterThought(request, left);
            try {
                GenerationResult rest = engine.generate(answer, this);
                return new GenerationResult(rest.reason(), used + rest.completionTokens());
            } catch (ContextLengthExceededException e) {
                return new GenerationResult(FinishReason.LENGTH, used); // the thought filled the context
            }
        }

        /**
         * {@code tool_choice: "auto"}: a free answer, watched; if it opens a call, the rest of the answer is generated
         * under the grammar of well-formed calls, continuing the prompt and everything generated so far.
         */
        private GenerationResult generateGuardingCalls(GenerationRequest request) throws EngineException {
            watchingForCalls = true;
            GenerationResult free = generateFree(request);
            watchingForCalls = false;
            if (openedBy == null || clientGone != null || stopFilter.stopped()) {
                return free;
            }
            return continueGenerating(request, Constraint.always(openedBy.restGrammar()));
        }

        /**
         * A free generation; if its thought is cut (budget, or the caller), the thought is closed and the
         * generation continues after it, in the same slot.
         */
        private GenerationResult generateFree(GenerationRequest request) throws EngineException {
            GenerationResult first = engine.generate(request, this);
            if (!thoughtCut || clientGone != null || stopFilter.stopped()) {
                return first;
            }
            thoughtCut = false;
            thoughtClosed = true;
            String closing = completion.thinking().closing() + "\n\n";
            insert(closing);
            generated.appendInserted(closing);
            return continueGenerating(request, request.constraint());
        }

        /**
         * Continues a stopped generation in the same slot: the prompt and everything generated since, under
         * {@code constraint}, with what is left of max_tokens.
         */
        private GenerationResult continueGenerating(GenerationRequest request, Constraint constraint)
                throws EngineException {
            int used = acceptedTokens;
            int left = request.maxTokens() == GenerationRequest.UNTIL_CONTEXT_IS_FULL
                    ? GenerationRequest.UNTIL_CONTEXT_IS_FULL : request.maxTokens() - used;
            if (left < 1) {
                return new GenerationResult(FinishReason.LENGTH, used);
            }
            GenerationRequest rest = new GenerationRequest(request.prompt() + generated, request.contentSpans(),
                    left, request.sampling(), constraint, generated.pieceSpans(request.prompt().length()));
            try {
                GenerationResult next = engine.generate(rest, this);
                return new GenerationResult(next.reason(), used + next.completionTokens());
            } catch (ContextLengthExceededException e) {
                return new GenerationResult(FinishReason.LENGTH, used);
            }
        }

        /**
         * Text the server writes into the output (a cut thought's closing): to the client as if generated, but never
         * taken for a stop string, and the thought tracker sees the thought end.
         */
        private void insert(String text) {
            track(text);
            emit(parser.accept(stopFilter.finish() + text));
        }

        /**
         * The prompt continued by the thought (its pieces as the tokens the model generated, see
         * {@link GeneratedText}) and the blank line R1 writes before its answer.
         */
        private GenerationRequest afterThought(GenerationRequest request, int maxTokens) {
            String prompt = request.prompt();
            return new GenerationRequest(prompt + thought + "\n\n", request.contentSpans(), maxTokens,
                    request.sampling(), request.constraint(), thought.pieceSpans(prompt.length()));
        }

        private static int leadingSpace(CharSequence text) {
            int i = 0;
            while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            return i;
        }

        /**
         * A piece of the free thought before a constrained answer. Text is held back until it is known to be a
         * thought; the generation stops at the close tag (text after it is dropped: the answer is generated anew,
         * constrained), or at once when the model turns out not to think (nothing was passed on then).
         */
        private boolean thoughtPiece(String text, int tokens) {
            boolean openedByPrompt = thoughtTracker.isInsideThought() && thought.isEmpty();
            if (thoughtTracker.isInsideThought() && thoughtMustEndBefore(undecidedTokens + tokens)) {
                return cutThought();
            }
            track(text);
            thought.appendPiece(text);
            if (probeGone()) {
                return false;
            }
            if (!thoughtTracker.isInAnswer()) {
                if (!thoughtTracker.isInsideThought()) {
                    undecidedTokens += tokens;
                    return true; // whitespace or part of "<think>": not known yet
                }
                acceptedTokens += undecidedTokens + tokens;
                reasoningTokens += undecidedTokens + tokens;
                undecidedTokens = 0;
                String next = thought.substring(thoughtPassed);
                thoughtPassed = thought.length();
                boolean more = pass(next);
                return more && thoughtSpent() ? cutThought() : more;
            }
            thoughtPhase = false;
            String raw = thought.toString();
            int open = leadingSpace(raw);
            boolean modelOpened = raw.startsWith(ThinkSplitter.OPEN, open);
            boolean hadThought = openedByPrompt || thoughtPassed > 0 || modelOpened;
            if (!hadThought) {
                thought.clear(); // no thought: the whole answer comes constrained, and these tokens never count
                undecidedTokens = 0;
                return false;
            }
            int from = modelOpened ? open + ThinkSplitter.OPEN.length() : 0;
            int cut = raw.indexOf(ThinkSplitter.CLOSE, from) + ThinkSplitter.CLOSE.length();
            thought.truncate(cut);
            acceptedTokens += undecidedTokens + tokens;
            reasoningTokens += undecidedTokens + tokens;
            undecidedTokens = 0;
            String last = thoughtPassed < cut ? thought.substring(thoughtPassed) : "";
            thoughtPassed = cut;
            pass(last);
            return false;
        }

        void finish(GenerationResult result) throws IOException {
            emit(parser.accept(stopFilter.finish()));
            emit(parser.finish());
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
            if (reason == FinishReason.STOP && parser.toolCalls() > 0) {
                reason = FinishReason.TOOL_CALLS;
            }
            checkStructuredOutput(reason);
            Usage usage = new Usage(promptTokens, completionTokens, reasoningTokens);
            metrics.finished(reason, usage, timings);
            sink.finish(reason, usage, timings);
        }

        /**
         * A complete constrained answer is checked once more in Java (a grammar bug must not pass silently); one
         * cut by the limit or a stop string is what it is (finish_reason says so).
         */
        private void checkStructuredOutput(FinishReason reason) {
            StructuredOutput output = completion.output();
            if (output == null || reason != FinishReason.STOP || stopFilter.stopped()) {
                return;
            }
            List<String> problems = output.problems(constrained.toString());
            if (!problems.isEmpty()) {
                metrics.structuredOutputInvalid();
                log.warn("A {} answer does not conform, though its grammar held: {}", output.kind(), problems);
            }
        }

        private void emit(MessageDelta delta) {
            if (delta.isEmpty() || clientGone != null) {
                return;
            }
            try {
                sink.delta(delta);
            } catch (IOException e) {
                clientGone = e;
            }
        }
    }
}
