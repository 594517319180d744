package dev.ggufserver.output;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one call written as a JSON object, {@code {"name": "NAME", "arguments": {…}}} (the key of the arguments
 * differs by family), from the front of a parser's held text. When the name comes first (the usual order) the call
 * starts as soon as the arguments' key is read and the arguments stream as they come; other members after them
 * (Mistral's {@code "id"}) are skipped. Otherwise the object is read whole and parsed. Hermes, Llama 3.x, Mistral
 * and the generic format all write their calls this way, inside different markers.
 */
final class JsonCallReader {
    enum Result { MORE, CALL, NOT_A_CALL }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A head longer than this that still might be one is read whole instead. */
    private static final int MAX_HEAD = 300;

    private enum State { HEAD, ARGUMENTS, TAIL, WHOLE }

    private final Pattern head;
    private final List<String> argumentKeys;
    private final JsonScan scan = new JsonScan();
    private State state = State.HEAD;
    private String rejected = "";

    /** @param argumentKeys the keys the arguments may come under, in the family's order of preference */
    JsonCallReader(List<String> argumentKeys) {
        this.argumentKeys = argumentKeys;
        String keys = String.join("|", argumentKeys.stream().map(Pattern::quote).toList());
        this.head = Pattern.compile("\\s*\\{\\s*(?:\"type\"\\s*:\\s*\"function\"\\s*,\\s*)?\"name\"\\s*:\\s*"
                + "\"([a-zA-Z0-9_-]{1,64})\"\\s*,\\s*\"(?:" + keys + ")\"\\s*:\\s*");
    }

    /** Ready for the next call. */
    void reset() {
        state = State.HEAD;
        rejected = "";
    }

    /**
     * The answer ended here: the arguments so far are the call's (a cut call keeps what it had); text that had not
     * become a call is content.
     */
    void flush(StringBuilder held, ToolCallScanner.Out out) {
        if (state == State.ARGUMENTS) {
            out.arguments(held);
        } else if (state != State.TAIL) {
            out.text(held);
        }
    }

    /**
     * Reads on; when the text turns out to be no call, it goes out as content after {@code prefix} (the marker the
     * family wrote before it, or "").
     */
    Result read(StringBuilder held, ToolCallScanner.Out out, String prefix) {
        Result result = read(held, out);
        if (result == Result.NOT_A_CALL) {
            out.text(prefix);
            out.text(rejected);
        }
        return result;
    }

    private Result read(StringBuilder held, ToolCallScanner.Out out) {
        while (true) {
            switch (state) {
                case HEAD -> {
                    int i = Markers.skipSpace(held, 0);
                    if (i == held.length()) {
                        return Result.MORE;
                    }
                    if (held.charAt(i) != '{') {
                        rejected = "";
                        return Result.NOT_A_CALL;
                    }
                    Matcher m = head.matcher(held);
                    if (m.lookingAt() && m.end() < held.length()) {
                        out.start(m.group(1));
                        held.delete(0, m.end());
                        scan.reset(0);
                        state = State.ARGUMENTS;
                    } else if (!m.lookingAt() && m.hitEnd() && held.length() <= MAX_HEAD) {
                        return Result.MORE; // could still become a name-first head
                    } else if (m.lookingAt()) {
                        return Result.MORE; // the head is whole, its value not begun
                    } else {
                        held.delete(0, i);
                        scan.reset(0);
                        state = State.WHOLE;
                    }
                }
                case ARGUMENTS -> {
                    int end = scan.end(held);
                    if (end < 0) {
                        out.arguments(held);
                        scan.consumed(held.length());
                        held.setLength(0);
                        return Result.MORE;
                    }
                    out.arguments(held.subSequence(0, end));
                    held.delete(0, end);
                    scan.reset(1); // the rest of the call's object, up to its closing brace
                    state = State.TAIL;
                }
                case TAIL -> {
                    int end = scan.end(held);
                    if (end < 0) {
                        return Result.MORE;
                    }
                    held.delete(0, end);
                    state = State.HEAD;
                    return Result.CALL;
                }
                case WHOLE -> {
                    int end = scan.end(held);
                    if (end < 0) {
                        return Result.MORE;
                    }
                    String object = held.substring(0, end);
                    held.delete(0, end);
                    state = State.HEAD;
                    if (wholeCall(object, out)) {
                        return Result.CALL;
                    }
                    rejected = object;
                    return Result.NOT_A_CALL;
                }
                default -> throw new IllegalStateException();
            }
        }
    }

    /** A call object read whole (its name not first): a call if it has a valid name and arguments. */
    private boolean wholeCall(String object, ToolCallScanner.Out out) {
        JsonNode call = parse(object);
        JsonNode name = call == null ? null : call.get("name");
        if (name == null || !name.isTextual() || !Markers.validName(name.asText())) {
            return false;
        }
        for (String key : argumentKeys) {
            JsonNode arguments = call.get(key);
            if (arguments != null) {
                out.start(name.asText());
                out.arguments(arguments.isTextual() ? arguments.asText() : arguments.toString());
                return true;
            }
        }
        return false;
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JacksonException e) {
            return null;
        }
    }
}
