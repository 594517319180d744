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

    @Override
    protected boolean step(Out out) {
        switch (state) {
            case TEXT -> {
                if (!skipSpaceAfterCall()) { // whitespace between and after calls is not content
                    return false;
                }
                if (!textUpTo(out, OPEN)) {
                    return false;
                }
                reader.reset();
                state = State.CALL;
                return true;
            }
            case CALL -> {
                JsonCallReader.Result read = reader.read(held, out, OPEN);
                if (read == JsonCallReader.Result.MORE) {
                    return false;
                }
                state = read == JsonCallReader.Result.CALL ? State.CLOSE : State.TEXT;
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
            case CALL -> reader.flush(held, out);
            case CLOSE -> {
            }
        }
        state = State.TEXT;
    }
}
