package dev.ggufserver.support;

import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.generation.CompletionSink;
import dev.ggufserver.generation.Timings;
import dev.ggufserver.generation.Usage;
import dev.ggufserver.output.MessageDelta;
import dev.ggufserver.output.ToolCallFolder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A sink for runner tests: keeps every delta, the reasoning, content and calls they add up to, and how the run
 * finished. {@link #onBegin} and {@link #onDelta} let a test act at an exact point of the run (on the generating
 * thread), e.g. end the thought while a given piece is delivered.
 */
public final class RecordingSink implements CompletionSink {
    public final List<MessageDelta> deltas = new ArrayList<>();
    public final StringBuilder reasoning = new StringBuilder();
    public final StringBuilder content = new StringBuilder();
    public final ToolCallFolder calls = new ToolCallFolder();
    public FinishReason reason;
    public Usage usage;
    private Runnable onBegin = () -> { };
    private BiConsumer<MessageDelta, String> onDelta = (delta, before) -> { };

    /** Runs when the response would begin (the prompt fits), before the first piece. */
    public RecordingSink onBegin(Runnable action) {
        this.onBegin = action;
        return this;
    }

    /** Sees each delta with the reasoning so far, before the delta is added. */
    public RecordingSink onDelta(BiConsumer<MessageDelta, String> action) {
        this.onDelta = action;
        return this;
    }

    @Override
    public void keepAlive() {
    }

    @Override
    public boolean clientGone() {
        return false;
    }

    @Override
    public void begin() {
        onBegin.run();
    }

    @Override
    public void delta(MessageDelta delta) {
        onDelta.accept(delta, reasoning.toString());
        deltas.add(delta);
        reasoning.append(delta.reasoning());
        content.append(delta.content());
        calls.add(delta.toolCalls());
    }

    @Override
    public void finish(FinishReason r, Usage u, Timings timings) {
        reason = r;
        usage = u;
    }
}
