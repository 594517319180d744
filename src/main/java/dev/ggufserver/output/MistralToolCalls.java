package dev.ggufserver.output;

import java.util.List;

/**
 * Mistral's calls, after the {@code [TOOL_CALLS]} token: a JSON array of call objects,
 * {@code [TOOL_CALLS][{"name": "NAME", "arguments": {…}, "id": "…"}]} (Mistral 7B v0.3, Nemo, Small up to 3.1),
 * or, in the v11 tokenizer's syntax (Small 3.2, Magistral, Devstral), {@code [TOOL_CALLS]NAME[ARGS]{…}} once per
 * call. The model's own {@code id} is not used: every call gets one of ours.
 */
public final class MistralToolCalls extends ToolCallScanner {
    public static final String TOOL_CALLS = "[TOOL_CALLS]";
    public static final String ARGS = "[ARGS]";
    private static final String CALL_ID = "[CALL_ID]";
    /** A name longer than this before {@code [ARGS]} is not a call. */
    private static final int MAX_NAME = 64;

    private enum State { TEXT, AFTER_MARKER, CALL, BETWEEN, NAMED_ARGUMENTS }

    private final JsonCallReader reader = new JsonCallReader(List.of("arguments"));
    private final JsonScan scan = new JsonScan();
    private State state = State.TEXT;

    @Override
    protected boolean step(Out out) {
        switch (state) {
            case TEXT -> {
                if (!skipSpaceAfterCall()) { // whitespace between and after calls is not content
                    return false;
                }
                if (!textUpTo(out, TOOL_CALLS)) {
                    return false;
                }
                state = State.AFTER_MARKER;
                return true;
            }
            case AFTER_MARKER -> {
                int i = Markers.skipSpace(held, 0);
                if (i == held.length()) {
                    return false;
                }
                if (held.charAt(i) == '[' && !heldStartsWith(i, ARGS)) {
                    held.delete(0, i + 1);
                    reader.reset();
                    state = State.CALL;
                    return true;
                }
                int args = held.indexOf(ARGS, i);
                if (args < 0) {
                    if (held.length() - i > MAX_NAME + CALL_ID.length() + 32 + ARGS.length()) {
                        state = State.TEXT; // not a call: the text is content, without the marker
                        return true;
                    }
                    return false;
                }
                String name = held.substring(i, args);
                int callId = name.indexOf(CALL_ID); // [TOOL_CALLS]NAME[CALL_ID]id[ARGS]: the id is not ours
                name = (callId < 0 ? name : name.substring(0, callId)).strip();
                if (!Markers.validName(name)) {
                    state = State.TEXT;
                    return true;
                }
                out.start(name);
                held.delete(0, args + ARGS.length());
                scan.reset(0);
                state = State.NAMED_ARGUMENTS;
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
                if (i == held.length()) {
                    return false;
                }
                char c = held.charAt(i);
                held.delete(0, i + (c == ',' || c == ']' ? 1 : 0));
                if (c == ',') {
                    reader.reset();
                    state = State.CALL;
                } else {
                    afterCall = c == ']';
                    state = State.TEXT;
                }
                return true;
            }
            case NAMED_ARGUMENTS -> {
                int end = scan.end(held);
                if (end < 0) {
                    out.arguments(held);
                    scan.consumed(held.length());
                    held.setLength(0);
                    return false;
                }
                out.arguments(held.subSequence(0, end));
                held.delete(0, end);
                afterCall = true;
                state = State.TEXT; // the next call, if any, has its own marker
                return true;
            }
            default -> throw new IllegalStateException();
        }
    }

    @Override
    protected void flush(Out out) {
        switch (state) {
            case TEXT -> out.text(held);
            case AFTER_MARKER -> out.text(held.toString().strip());
            case CALL -> reader.flush(held, out);
            case NAMED_ARGUMENTS -> out.arguments(held);
            case BETWEEN -> {
            }
        }
        state = State.TEXT;
    }
}
