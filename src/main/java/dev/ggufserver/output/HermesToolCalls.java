package dev.ggufserver.output;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Hermes syntax, which Qwen2.5 and many fine-tunes use:
 * {@code <tool_call>\n{"name": "NAME", "arguments": {…}}\n</tool_call>}, one block per call. When the name comes
 * first (the usual order), the call starts as soon as {@code "arguments":} is read and the arguments object streams
 * as it comes, its end found by counting brackets outside strings; otherwise the block is read whole and parsed.
 */
public final class HermesToolCalls implements ToolCallParser {
    public static final String OPEN = "<tool_call>";
    public static final String CLOSE = "</tool_call>";
    private static final Pattern HEAD = Pattern.compile(
            "\\s*\\{\\s*\"name\"\\s*:\\s*\"([a-zA-Z0-9_-]{1,64})\"\\s*,\\s*\"arguments\"\\s*:\\s*");
    private static final Pattern ARGUMENTS_KEY = Pattern.compile("\"arguments\"\\s*:\\s*\\S");
    private static final int MAX_HEAD = 300;
    private static final ObjectMapper JSON = new ObjectMapper();

    private enum State { TEXT, HEAD, ARGUMENTS, TAIL }

    private State state = State.TEXT;
    private final StringBuilder held = new StringBuilder();
    private int calls;
    private boolean afterCall;
    /** Bracket depth inside the streamed arguments, and whether the scan is inside a string (after a backslash). */
    private int depth;
    private boolean inString;
    private boolean escaped;

    @Override
    public int calls() {
        return calls;
    }

    @Override
    public MessageDelta accept(String text) {
        held.append(text);
        StringBuilder content = new StringBuilder();
        List<ToolCallDelta> deltas = new ArrayList<>();
        while (step(content, deltas)) {
            // each step consumes held text or changes state
        }
        return new MessageDelta("", content.toString(), deltas);
    }

    @Override
    public MessageDelta finish() {
        String rest = held.toString();
        held.setLength(0);
        MessageDelta last = switch (state) {
            case TEXT -> MessageDelta.of("", rest);
            case HEAD -> MessageDelta.of("", rest.strip()); // an unfinished block that never became a call
            case ARGUMENTS -> rest.isEmpty() ? MessageDelta.EMPTY
                    : new MessageDelta("", "", List.of(ToolCallDelta.arguments(calls - 1, rest)));
            case TAIL -> MessageDelta.EMPTY;
        };
        state = State.TEXT;
        return last;
    }

    private boolean step(StringBuilder content, List<ToolCallDelta> deltas) {
        switch (state) {
            case TEXT -> {
                if (afterCall) { // whitespace between and after calls is not content
                    held.delete(0, Markers.skipSpace(held, 0));
                    if (held.isEmpty()) {
                        return false;
                    }
                    afterCall = false;
                }
                int at = held.indexOf(OPEN);
                if (at >= 0) {
                    content.append(held, 0, at);
                    held.delete(0, at + OPEN.length());
                    state = State.HEAD;
                    return true;
                }
                int keep = Markers.partialSuffix(held, OPEN);
                content.append(held, 0, held.length() - keep);
                held.delete(0, held.length() - keep);
                return false;
            }
            case HEAD -> {
                Matcher head = HEAD.matcher(held);
                if (head.lookingAt() && head.end() < held.length()) {
                    deltas.add(ToolCallDelta.start(calls++, CallIds.next(), head.group(1)));
                    held.delete(0, head.end());
                    depth = 0;
                    inString = false;
                    escaped = false;
                    state = State.ARGUMENTS;
                    return true;
                }
                int close = held.indexOf(CLOSE);
                if (close >= 0) {
                    afterCall = wholeBlock(held.substring(0, close), content, deltas);
                    held.delete(0, close + CLOSE.length());
                    state = State.TEXT;
                    return true;
                }
                if (held.length() > MAX_HEAD && !ARGUMENTS_KEY.matcher(held).find()) {
                    content.append(held); // not a call after all
                    held.setLength(0);
                    state = State.TEXT;
                    return true;
                }
                return false;
            }
            case ARGUMENTS -> {
                int end = scan();
                if (end < 0) {
                    if (!held.isEmpty()) {
                        deltas.add(ToolCallDelta.arguments(calls - 1, held.toString()));
                        held.setLength(0);
                    }
                    return false;
                }
                deltas.add(ToolCallDelta.arguments(calls - 1, held.substring(0, end)));
                held.delete(0, end);
                state = State.TAIL;
                return true;
            }
            case TAIL -> {
                int close = held.indexOf(CLOSE);
                if (close >= 0) {
                    held.delete(0, close + CLOSE.length()); // the object's own "}" and whitespace
                    afterCall = true;
                    state = State.TEXT;
                    return true;
                }
                String rest = held.toString().strip();
                if (rest.isEmpty() || rest.equals("}") || Markers.couldBe(rest.startsWith("}")
                        ? rest.substring(1).strip() : rest, CLOSE)) {
                    return false;
                }
                held.setLength(0); // a call without its close tag: the text after it is text
                state = State.TEXT;
                content.append(rest.startsWith("}") ? rest.substring(1).strip() : rest);
                return true;
            }
            default -> throw new IllegalStateException();
        }
    }

    /**
     * Scans {@code held} from its start as the arguments value (resuming where the last piece stopped); returns
     * the index just past the value, or -1 when it continues beyond the held text.
     */
    private int scan() {
        for (int i = 0; i < held.length(); i++) {
            char c = held.charAt(i);
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                    if (depth == 0) {
                        return i + 1; // arguments given as a string
                    }
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                if (depth <= 0) {
                    return i + 1;
                }
            }
        }
        return -1;
    }

    /** A block whose name did not come first: read it whole. One that is not a call stays text. */
    private boolean wholeBlock(String block, StringBuilder content, List<ToolCallDelta> deltas) {
        try {
            JsonNode call = JSON.readTree(block);
            JsonNode name = call == null ? null : call.get("name");
            JsonNode arguments = call == null ? null : call.get("arguments");
            if (name != null && name.isTextual() && Markers.validName(name.asText()) && arguments != null) {
                int index = calls++;
                deltas.add(ToolCallDelta.start(index, CallIds.next(), name.asText()));
                deltas.add(ToolCallDelta.arguments(index, arguments.isTextual() ? arguments.asText()
                        : arguments.toString()));
                return true;
            }
        } catch (JacksonException e) {
            // not JSON: text
        }
        content.append(OPEN).append(block).append(CLOSE);
        return false;
    }
}
