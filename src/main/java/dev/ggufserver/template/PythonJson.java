package dev.ggufserver.template;

import java.util.Collection;
import java.util.Map;

/**
 * JSON text as Python's {@code json.dumps(value, ensure_ascii=False)} writes it, which is what Hugging Face's
 * {@code tojson} filter produces and so what models saw in training: {@code ", "} between items and {@code ": "}
 * after keys, or with {@code indent} one item per line. Non-ASCII characters (our content markers among them)
 * stay as they are.
 */
final class PythonJson {
    private PythonJson() {
    }

    /** @param indent spaces per level, or negative for one line */
    static String write(Object value, int indent) {
        StringBuilder out = new StringBuilder();
        write(value, indent, 0, out);
        return out.toString();
    }

    private static void write(Object value, int indent, int level, StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean || value instanceof Number) {
            out.append(value);
        } else if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                separate(first, indent, level + 1, out);
                first = false;
                string(String.valueOf(e.getKey()), out);
                out.append(": ");
                write(e.getValue(), indent, level + 1, out);
            }
            close(indent, level, out);
            out.append('}');
        } else if (value instanceof Collection<?> list) {
            if (list.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            for (Object item : list) {
                separate(first, indent, level + 1, out);
                first = false;
                write(item, indent, level + 1, out);
            }
            close(indent, level, out);
            out.append(']');
        } else {
            string(value.toString(), out);
        }
    }

    private static void separate(boolean first, int indent, int level, StringBuilder out) {
        if (indent < 0) {
            out.append(first ? "" : ", ");
        } else {
            out.append(first ? "" : ",").append('\n').append(" ".repeat(indent * level));
        }
    }

    private static void close(int indent, int level, StringBuilder out) {
        if (indent >= 0) {
            out.append('\n').append(" ".repeat(indent * level));
        }
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
