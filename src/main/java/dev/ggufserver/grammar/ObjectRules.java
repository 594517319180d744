package dev.ggufserver.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Objects (properties in schema order, optional ones omissible, extras only when allowed) and arrays. */
final class ObjectRules {
    private final JsonSchemaGrammar g;

    ObjectRules(JsonSchemaGrammar g) {
        this.g = g;
    }

    String object(JsonNode s, String path, int depth) {
        JsonNode props = s.get("properties");
        if (props != null && !props.isObject()) {
            throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, "properties"), "properties",
                    "'properties' must be an object");
        }
        List<String> names = new ArrayList<>();
        if (props != null) {
            props.fieldNames().forEachRemaining(names::add);
        }
        if (names.size() > JsonSchemaGrammar.MAX_PROPERTIES) {
            throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, "properties"), "properties",
                    "more than " + JsonSchemaGrammar.MAX_PROPERTIES + " properties");
        }
        List<String> required = required(s, path, names);
        JsonNode extra = s.get("additionalProperties");
        boolean extras = extra != null && !(extra.isBoolean() && !extra.booleanValue());
        String ws = g.ws();
        List<String> members = new ArrayList<>();
        for (String n : names) {
            String value = g.schema(props.get(n), JsonSchemaGrammar.at(path, "properties." + n), depth + 1);
            members.add(g.out.rule(n + "-kv", GrammarBuilder.literal("\"" + escapeJson(n) + "\"") + " " + ws
                    + " \":\" " + ws + " " + value + " " + ws));
        }
        String extraMember = null;
        if (extras) {
            if (!extra.isBoolean() && !extra.isObject()) {
                throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, "additionalProperties"),
                        "additionalProperties", "'additionalProperties' must be a boolean or a schema");
            }
            String value = g.schema(extra, JsonSchemaGrammar.at(path, "additionalProperties"), depth + 1);
            String key = names.isEmpty() ? g.strings.plainString() : otherKey(names);
            extraMember = g.out.rule("extra-kv", key + " " + ws + " \":\" " + ws + " " + value + " " + ws);
        }
        // tail[i]: the members from i on, each after a comma (something came before)
        String tail = extraMember == null ? "" : "( \",\" " + ws + " " + extraMember + " )*";
        String tailRule = tail.isEmpty() ? "" : g.out.rule("tail", tail);
        String[] tails = new String[names.size() + 1];
        tails[names.size()] = tailRule;
        for (int i = names.size() - 1; i >= 0; i--) {
            String piece = "\",\" " + ws + " " + members.get(i);
            piece = required.contains(names.get(i)) ? piece : "( " + piece + " )?";
            tails[i] = g.out.rule("tail", (piece + " " + tails[i + 1]).trim());
        }
        // first[i]: the members from i on, nothing before
        String first = extraMember == null ? "" : "( " + extraMember + " " + tailRule + " )?";
        for (int i = names.size() - 1; i >= 0; i--) {
            String withI = (members.get(i) + " " + tails[i + 1]).trim();
            first = required.contains(names.get(i)) ? withI : "( " + withI + (first.isEmpty() ? " )?" : " | "
                    + first + " )");
        }
        return g.out.rule("object", ("\"{\" " + ws + " " + first + " \"}\"").replaceAll(" +", " "));
    }

    private static List<String> required(JsonNode s, String path, List<String> names) {
        List<String> required = new ArrayList<>();
        JsonNode r = s.get("required");
        if (r == null) {
            return required;
        }
        String p = JsonSchemaGrammar.at(path, "required");
        if (!r.isArray()) {
            throw new UnsupportedSchemaException(p, "required", "'required' must be an array of names");
        }
        for (JsonNode n : r) {
            if (!n.isTextual()) {
                throw new UnsupportedSchemaException(p, "required", "'required' must be an array of names");
            }
            if (!names.contains(n.textValue())) {
                throw new UnsupportedSchemaException(p, "required", "required property '" + n.textValue()
                        + "' is not among 'properties'");
            }
            required.add(n.textValue());
        }
        return required;
    }

    /** A key that is none of {@code names}: unescaped characters only, checked against a trie of the names. */
    private String otherKey(List<String> names) {
        String keyChar = "[^\"\\\\\\x00-\\x1F\\x7F]";
        return g.out.rule("other-key", "\"\\\"\" " + notIn(names, "", keyChar) + " \"\\\"\"");
    }

    private String notIn(List<String> names, String prefix, String keyChar) {
        Map<Integer, List<String>> next = new TreeMap<>();
        boolean terminal = false;
        for (String n : names) {
            if (n.equals(prefix)) {
                terminal = true;
            } else if (n.startsWith(prefix)) {
                next.computeIfAbsent(n.codePointAt(prefix.length()), k -> new ArrayList<>()).add(n);
            }
        }
        StringBuilder exclude = new StringBuilder(keyChar.substring(0, keyChar.length() - 1));
        List<String> options = new ArrayList<>();
        for (var e : next.entrySet()) {
            int c = e.getKey();
            exclude.append(GrammarBuilder.escape(c, true));
            String after = new String(Character.toChars(c));
            options.add(GrammarBuilder.literal(after) + " " + notIn(e.getValue(), prefix + after, keyChar));
        }
        options.add(0, exclude + "] " + keyChar + "*");
        if (!terminal) {
            options.add("\"\"");
        }
        return g.out.rule("key-not", String.join(" | ", options));
    }

    static String escapeJson(String n) {
        String quoted = new com.fasterxml.jackson.databind.node.TextNode(n).toString();
        return quoted.substring(1, quoted.length() - 1);
    }

    String array(JsonNode s, String path, int depth) {
        JsonNode items = s.get("items");
        if (items != null && items.isArray()) {
            throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, "items"), "items",
                    "'items' as an array (tuples) is not supported");
        }
        String item = items == null ? g.anyValue(JsonSchemaGrammar.MAX_ANY_DEPTH - 1)
                : g.schema(items, JsonSchemaGrammar.at(path, "items"), depth + 1);
        int min = Math.max(0, JsonSchemaGrammar.bound(s, "minItems", path, Gbnf.MAX_REPEAT));
        int max = JsonSchemaGrammar.bound(s, "maxItems", path, Gbnf.MAX_REPEAT);
        if (max >= 0 && min > max) {
            throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, "minItems"), "minItems",
                    "'minItems' is above 'maxItems': nothing can match");
        }
        String ws = g.ws();
        String element = item + " " + ws;
        String body;
        if (max == 0) {
            body = "\"[\" " + ws + " \"]\"";
        } else {
            String more = "( \",\" " + ws + " " + element + " )" + (max < 0 ? "{" + Math.max(0, min - 1) + ",}"
                    : "{" + Math.max(0, min - 1) + "," + (max - 1) + "}");
            String list = max == 1 ? element : element + " " + more;
            body = "\"[\" " + ws + " " + (min == 0 ? "( " + list + " )?" : list) + " \"]\"";
        }
        return g.out.rule("array", body);
    }
}
