package dev.ggufserver.output;

import java.util.List;

/**
 * Llama 3.1–3.3's JSON calls: the answer is {@code {"name": "NAME", "parameters": {…}}} (several separated by
 * {@code ;} or whitespace), or such an object after {@code <|python_tag|>}. Without the tag a call counts only at
 * the start of the answer, as the templates ask and as llama.cpp reads it: a JSON object later in prose is prose.
 * After the tag, text that is no JSON call (3.1's built-in {@code brave_search.call(…)} syntax) is content, without
 * the tag.
 */
public final class Llama3JsonToolCalls extends ToolCallScanner {
    public static final String PYTHON_TAG = "<|python_tag|>";

    private enum State { START, TEXT, CALL, BETWEEN }

    private final JsonCallReader reader = new JsonCallReader(List.of("parameters", "arguments"));
    private State state = State.START;

    @Override
    protected boolean step(Out out) {
        switch (state) {
            case START -> {
                int i = Markers.skipSpace(held, 0);
                if (i == held.length()) {
                    return false;
                }
                if (held.charAt(i) == '{') {
                    reader.reset();
                    state = State.CALL;
                } else {
                    state = State.TEXT;
                }
                return true;
            }
            case TEXT -> {
                if (!textUpTo(out, PYTHON_TAG)) {
                    return false;
                }
                reader.reset();
                state = State.CALL;
                return true;
            }
            case CALL -> {
                JsonCallReader.Result read = reader.read(held, out, "");
                if (read == JsonCallReader.Result.MORE) {
                    return false;
                }
                state = read == JsonCallReader.Result.CALL ? State.BETWEEN : State.TEXT;
                return true;
            }
            case BETWEEN -> {
                int i = Markers.skipSpace(held, 0);
                if (i < held.length() && held.charAt(i) == ';') {
                    i = Markers.skipSpace(held, i + 1);
                }
                if (i == held.length()) {
                    return false;
                }
                if (heldStartsWith(i, PYTHON_TAG)) {
                    i += PYTHON_TAG.length();
                } else if (Markers.couldBe(held.subSequence(i, held.length()), PYTHON_TAG)) {
                    return false;
                }
                held.delete(0, i);
                if (!held.isEmpty() && held.charAt(0) == '{' || held.isEmpty()) {
                    reader.reset();
                    state = State.CALL;
                } else {
                    state = State.TEXT; // text after the calls
                }
                return true;
            }
            default -> throw new IllegalStateException();
        }
    }

    @Override
    protected void flush(Out out) {
        switch (state) {
            case START, TEXT -> out.text(held);
            case CALL -> reader.flush(held, out);
            case BETWEEN -> {
            }
        }
        state = State.START;
    }
}
