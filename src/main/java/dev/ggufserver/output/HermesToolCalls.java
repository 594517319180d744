package dev.ggufserver.output;

import java.util.List;

/**
 * The Hermes syntax, which Qwen2.5 and many fine-tunes use:
 * {@code <tool_call>\n{"name": "NAME", "arguments": {…}}\n</tool_call>}, one block per call (the object read by
 * {@link JsonCallReader}). A block that holds no call stays text, markers and all.
 */
public final class HermesToolCalls extends ToolCallScanner {
    public static final String OPEN = "<tool_call>";
    public static final String CLOSE = "</tool_call>";

    private enum State { TEXT, CALL, CLOSE }

    private final JsonCallReader reader = new JsonCallReader(List.of("arguments"));
    private State state = State.TEXT;
    private boolean afterCall;

    @Override
    protected boolean step(Out out) {
        switch (state) {
            case TEXT -> {
                if (afterCall) { // whitespace between and after calls is not content
                    if (!skipHeldSpace()) {
                        return false;
                    }
                    afterCall = false;
                }
                int at = held.indexOf(OPEN);
                if (at < 0) {
                    textUpToPartial(out, OPEN);
                    return false;
                }
                out.text(held.subSequence(0, at));
                held.delete(0, at + OPEN.length());
                reader.reset();
                state = State.CALL;
                return true;
            }
            case CALL -> {
                switch (reader.read(held, out)) {
                    case MORE -> {
                        return false;
                    }
                    case CALL -> state = State.CLOSE;
                    case NOT_A_CALL -> {
                        out.text(OPEN);
                        out.text(reader.rejected());
                        state = State.TEXT;
                    }
                }
                return true;
            }
            case CLOSE -> {
                int i = Markers.skipSpace(held, 0);
                if (heldStartsWith(i, CLOSE)) {
                    held.delete(0, i + CLOSE.length());
                    afterCall = true;
                    state = State.TEXT;
                    return true;
                }
                if (i == held.length() || Markers.couldBe(held.subSequence(i, held.length()), CLOSE)) {
                    return false;
                }
                held.delete(0, i); // a call without its close tag: what follows is text
                state = State.TEXT;
                return true;
            }
            default -> throw new IllegalStateException();
        }
    }

    @Override
    protected void flush(Out out) {
        switch (state) {
            case TEXT -> out.text(held);
            case CALL -> {
                if (reader.inCall()) {
                    reader.flush(held, out);
                } else {
                    out.text(held.toString().strip()); // an unfinished block that never became a call
                }
            }
            case CLOSE -> {
            }
        }
        state = State.TEXT;
    }
}
