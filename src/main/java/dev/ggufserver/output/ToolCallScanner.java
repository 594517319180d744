package dev.ggufserver.output;

import java.util.ArrayList;
import java.util.List;

/**
 * The loop every tool-call parser shares: pieces are appended to held text, and the subclass's state machine
 * consumes it one {@link #step} at a time until it needs more. What a step decides goes to an {@link Out}.
 */
abstract class ToolCallScanner implements ToolCallParser {
    /** Text not yet decided: a possible start of a marker, a call head not yet complete. */
    protected final StringBuilder held = new StringBuilder();
    private int calls;
    /** Set after a call: the whitespace that follows it is not content. */
    protected boolean afterCall;

    /** What the steps of one piece emit. */
    protected final class Out {
        private final StringBuilder content = new StringBuilder();
        private final List<ToolCallDelta> deltas = new ArrayList<>();

        void text(CharSequence text) {
            content.append(text);
        }

        /** A new call: its first delta, with a fresh id. */
        void start(String name) {
            deltas.add(ToolCallDelta.start(calls++, CallIds.next(), name));
        }

        /** More arguments text for the call started last. */
        void arguments(CharSequence piece) {
            if (piece.length() > 0) {
                deltas.add(ToolCallDelta.arguments(calls - 1, piece.toString()));
            }
        }

        MessageDelta delta() {
            return new MessageDelta("", content.toString(), deltas);
        }
    }

    @Override
    public final int calls() {
        return calls;
    }

    @Override
    public final MessageDelta accept(String text) {
        held.append(text);
        Out out = new Out();
        while (step(out)) {
            // each step consumes held text or changes state
        }
        return out.delta();
    }

    @Override
    public final MessageDelta finish() {
        Out out = new Out();
        flush(out);
        held.setLength(0);
        return out.delta();
    }

    /** One move of the state machine; false when it needs more text. */
    protected abstract boolean step(Out out);

    /** The answer ended: emit what the held text means now. */
    protected abstract void flush(Out out);

    /** Drops leading whitespace from the held text; true if some text is left. */
    protected final boolean skipHeldSpace() {
        held.delete(0, Markers.skipSpace(held, 0));
        return !held.isEmpty();
    }

    /** After a call, drops the whitespace that follows it; false when nothing else is held yet. */
    protected final boolean skipSpaceAfterCall() {
        if (afterCall) {
            if (!skipHeldSpace()) {
                return false;
            }
            afterCall = false;
        }
        return true;
    }

    /**
     * Emits the held text up to {@code marker} and drops the marker: true. Without it, emits all but a tail that
     * may be its start: false.
     */
    protected final boolean textUpTo(Out out, String marker) {
        int at = held.indexOf(marker);
        if (at < 0) {
            textUpToPartial(out, marker);
            return false;
        }
        out.text(held.subSequence(0, at));
        held.delete(0, at + marker.length());
        return true;
    }

    /** Emits the held text as content, keeping a tail that may be the start of one of {@code markers}. */
    protected final void textUpToPartial(Out out, String... markers) {
        int keep = Markers.partialSuffix(held, markers);
        out.text(held.subSequence(0, held.length() - keep));
        held.delete(0, held.length() - keep);
    }

    /** Whether the held text, from {@code from}, starts with {@code prefix}. */
    protected final boolean heldStartsWith(int from, String prefix) {
        return held.length() - from >= prefix.length() && held.indexOf(prefix, from) == from;
    }
}
