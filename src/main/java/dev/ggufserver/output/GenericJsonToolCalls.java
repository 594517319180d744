package dev.ggufserver.output;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The generic JSON format, for models with no call syntax of their own (chosen with {@code --tool-format generic}):
 * the whole answer is one JSON object, {@code {"tool_calls": [{"name": …, "arguments": {…}}, …]}} (or
 * {@code {"tool_call": {…}}}) to call tools, or {@code {"response": "text"}} to answer. The object is read whole
 * before anything of it is sent (a response's text comes in one piece); an answer that is not such an object is
 * content as it is.
 */
public final class GenericJsonToolCalls extends ToolCallScanner {
    private enum State { START, OBJECT, TEXT }

    private final JsonScan scan = new JsonScan();
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
                    held.delete(0, i);
                    scan.reset(0);
                    state = State.OBJECT;
                } else {
                    state = State.TEXT;
                }
                return true;
            }
            case OBJECT -> {
                int end = scan.end(held);
                if (end < 0) {
                    return false;
                }
                String object = held.substring(0, end);
                held.delete(0, end);
                if (read(JsonCallReader.parse(object), out)) {
                    held.delete(0, Markers.skipSpace(held, 0)); // whitespace after the object is not content
                } else {
                    out.text(object);
                }
                state = State.TEXT;
                return true;
            }
            case TEXT -> {
                out.text(held);
                held.setLength(0);
                return false;
            }
            default -> throw new IllegalStateException();
        }
    }

    /** The calls or the response the object holds; false if it holds neither. */
    private boolean read(JsonNode object, Out out) {
        if (object == null || !object.isObject()) {
            return false;
        }
        JsonNode response = object.get("response");
        if (object.size() == 1 && response != null && response.isTextual()) {
            out.text(response.asText());
            return true;
        }
        JsonNode calls = object.has("tool_calls") ? object.get("tool_calls") : object.get("tool_call");
        if (object.size() != 1 || calls == null) {
            return false;
        }
        Iterable<JsonNode> each = calls.isArray() ? calls : java.util.List.of(calls);
        for (JsonNode call : each) {
            JsonNode name = call.get("name");
            JsonNode arguments = call.get("arguments");
            if (name == null || !name.isTextual() || !Markers.validName(name.asText()) || arguments == null) {
                return false;
            }
        }
        for (JsonNode call : each) {
            JsonNode arguments = call.get("arguments");
            out.start(call.get("name").asText());
            out.arguments(arguments.isTextual() ? arguments.asText() : arguments.toString());
        }
        return true;
    }

    @Override
    protected void flush(Out out) {
        out.text(held);
        state = State.START;
    }
}
