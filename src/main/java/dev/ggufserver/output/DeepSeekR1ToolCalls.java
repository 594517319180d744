package dev.ggufserver.output;

/**
 * DeepSeek-R1's tool-call syntax, as its chat template renders earlier calls:
 * <pre>
 * &lt;｜tool▁calls▁begin｜&gt;&lt;｜tool▁call▁begin｜&gt;function&lt;｜tool▁sep｜&gt;NAME
 * ```json
 * {"arguments": "as JSON"}
 * ```&lt;｜tool▁call▁end｜&gt;…&lt;｜tool▁calls▁end｜&gt;
 * </pre>
 * A call starts (its first delta goes out) when its name line is complete; its arguments stream as they come, up
 * to the closing fence before the call's end marker (text that might be that fence is held back). Text that does not follow the syntax before a call has started is content.
 */
public final class DeepSeekR1ToolCalls extends ToolCallScanner {
    public static final String CALLS_BEGIN = "<｜tool▁calls▁begin｜>";
    public static final String CALLS_END = "<｜tool▁calls▁end｜>";
    public static final String CALL_BEGIN = "<｜tool▁call▁begin｜>";
    public static final String CALL_END = "<｜tool▁call▁end｜>";
    public static final String SEP = "<｜tool▁sep｜>";
    private static final String FENCE = "```";
    /** A call head longer than this without its name line is not a call. */
    private static final int MAX_HEAD = 200;

    private enum State { TEXT, BETWEEN, HEAD, OPEN_FENCE, ARGUMENTS }

    private State state = State.TEXT;

    @Override
    protected void flush(Out out) {
        String rest = held.toString();
        switch (state) {
            case TEXT, BETWEEN, HEAD -> out.text(state == State.TEXT ? rest : rest.strip());
            case ARGUMENTS -> out.arguments(rest.substring(0, withoutClosingFence(rest, rest.length())));
            case OPEN_FENCE -> { // nothing more of the call came
            }
        }
        state = State.TEXT;
    }

    @Override
    protected boolean step(Out out) {
        switch (state) {
            case TEXT -> {
                if (!skipSpaceAfterCall()) { // whitespace between and after calls is not content
                    return false;
                }
                int at = indexOfEither(held, CALLS_BEGIN, CALL_BEGIN);
                if (at >= 0) {
                    out.text(held.subSequence(0, at));
                    boolean outer = held.indexOf(CALLS_BEGIN, at) == at;
                    held.delete(0, at + (outer ? CALLS_BEGIN.length() : CALL_BEGIN.length()));
                    state = outer ? State.BETWEEN : State.HEAD;
                    return true;
                }
                textUpToPartial(out, CALLS_BEGIN, CALL_BEGIN);
                return false;
            }
            case BETWEEN -> {
                int i = Markers.skipSpace(held, 0);
                CharSequence rest = held.subSequence(i, held.length());
                if (startsWith(rest, CALL_BEGIN)) {
                    held.delete(0, i + CALL_BEGIN.length());
                    state = State.HEAD;
                    return true;
                }
                if (startsWith(rest, CALLS_END)) {
                    held.delete(0, i + CALLS_END.length());
                    afterCall = calls() > 0;
                    state = State.TEXT;
                    return true;
                }
                if (Markers.couldBe(rest, CALL_BEGIN) || Markers.couldBe(rest, CALLS_END)) {
                    return false;
                }
                state = State.TEXT; // not the syntax: what follows is text
                held.delete(0, i);
                return true;
            }
            case HEAD -> {
                int sep = held.indexOf(SEP);
                int newline = sep < 0 ? -1 : held.indexOf("\n", sep + SEP.length());
                if (newline < 0) {
                    if (held.length() > MAX_HEAD) {
                        state = State.TEXT; // not a call after all
                        return true;
                    }
                    return false;
                }
                String name = held.substring(sep + SEP.length(), newline).strip();
                if (!Markers.validName(name)) {
                    state = State.TEXT;
                    return true;
                }
                held.delete(0, newline + 1);
                out.start(name);
                state = State.OPEN_FENCE;
                return true;
            }
            case OPEN_FENCE -> {
                int i = Markers.skipSpace(held, 0);
                CharSequence rest = held.subSequence(i, held.length());
                if (startsWith(rest, FENCE)) {
                    int newline = held.indexOf("\n", i);
                    if (newline < 0) {
                        return false; // "```json" not finished
                    }
                    held.delete(0, newline + 1);
                    state = State.ARGUMENTS;
                    return true;
                }
                if (Markers.couldBe(rest, FENCE) || rest.length() == 0) {
                    return false;
                }
                held.delete(0, i);
                state = State.ARGUMENTS; // arguments without a fence: up to the call's end marker
                return true;
            }
            case ARGUMENTS -> {
                // the arguments end at the call's end marker, less the closing fence before it (a fence inside
                // the arguments, in a string, is theirs)
                int end = held.indexOf(CALL_END);
                if (end >= 0) {
                    out.arguments(held.subSequence(0, withoutClosingFence(held, end)));
                    held.delete(0, end + CALL_END.length());
                    state = State.BETWEEN;
                    return true;
                }
                int cut = withoutClosingFence(held, held.length() - Markers.partialSuffix(held, CALL_END));
                if (cut > 0) {
                    out.arguments(held.subSequence(0, cut));
                    held.delete(0, cut);
                }
                return false;
            }
            default -> throw new IllegalStateException();
        }
    }

    /** Where the text before {@code end} ends once trailing whitespace, up to three backticks and whitespace go. */
    private static int withoutClosingFence(CharSequence text, int end) {
        int i = end;
        while (i > 0 && Character.isWhitespace(text.charAt(i - 1))) {
            i--;
        }
        int ticks = 0;
        while (i > 0 && ticks < FENCE.length() && text.charAt(i - 1) == '`') {
            i--;
            ticks++;
        }
        while (ticks > 0 && i > 0 && Character.isWhitespace(text.charAt(i - 1))) {
            i--;
        }
        return i;
    }

    private static boolean startsWith(CharSequence text, String prefix) {
        return text.length() >= prefix.length() && text.subSequence(0, prefix.length()).toString().equals(prefix);
    }

    private static int indexOfEither(StringBuilder text, String a, String b) {
        int i = text.indexOf(a);
        int j = text.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }
}
