package dev.ggufserver.template;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An earlier call's {@code function.arguments} as templates need it, which is two ways at once: DeepSeek-R1's
 * template concatenates it as the JSON text ({@code '```json\n' + tool['function']['arguments']}), while Qwen2.5 and
 * Hermes templates write {@code tool_call.arguments | tojson} and so expect a mapping (transformers documents
 * arguments as a dict). This is the parsed object, whose string form is the client's own text; both ways see what
 * the client sent. With marking on, the text and the string values are marked as content.
 */
final class ToolArguments extends LinkedHashMap<String, Object> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String text;

    private ToolArguments(String text) {
        this.text = text;
    }

    /** The parsed object, or the text itself when it is not a JSON object (the server has checked it is). */
    static Object of(String arguments, boolean mark) {
        Map<?, ?> parsed;
        try {
            parsed = JSON.readValue(arguments, LinkedHashMap.class);
        } catch (JacksonException | IllegalArgumentException e) {
            parsed = null;
        }
        if (parsed == null) {
            return mark ? ChatTemplate.marked(arguments) : arguments;
        }
        ToolArguments args = new ToolArguments(mark ? ChatTemplate.marked(arguments) : arguments);
        for (Map.Entry<?, ?> e : parsed.entrySet()) {
            args.put(String.valueOf(e.getKey()), mark ? marked(e.getValue()) : e.getValue());
        }
        return args;
    }

    private static Object marked(Object value) {
        if (value instanceof String s) {
            return ChatTemplate.marked(s);
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(String.valueOf(k), marked(v)));
            return copy;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            list.forEach(v -> copy.add(marked(v)));
            return copy;
        }
        return value;
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ToolArguments other && other.text.equals(text) && super.equals(o);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }
}
