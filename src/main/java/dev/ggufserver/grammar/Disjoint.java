package dev.ggufserver.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code oneOf} means exactly one branch matches; a grammar can only say "at least one". So oneOf is compiled as anyOf
 * only when no document can match two branches: their types differ (integer counts as number), or both are objects
 * and one requires a property the other forbids (no additional properties), or a property required by both has
 * disjoint {@code const}/{@code enum} values. Anything else is refused.
 */
final class Disjoint {
    private Disjoint() {
    }

    static void check(JsonSchemaGrammar g, JsonNode branches, String path) {
        for (int i = 0; i < branches.size(); i++) {
            for (int j = i + 1; j < branches.size(); j++) {
                JsonNode a = deref(g, branches.get(i), path + "[" + i + "]");
                JsonNode b = deref(g, branches.get(j), path + "[" + j + "]");
                if (!disjoint(g, a, b, path)) {
                    throw new UnsupportedSchemaException(path, "oneOf", "branches " + i + " and " + j
                            + " may both match one document; 'oneOf' needs branches that cannot overlap (or use "
                            + "'anyOf')");
                }
            }
        }
    }

    private static JsonNode deref(JsonSchemaGrammar g, JsonNode s, String path) {
        for (int hops = 0; s.isObject() && s.has("$ref") && hops < 16; hops++) {
            s = g.resolve(s.get("$ref"), path);
        }
        return s;
    }

    private static boolean disjoint(JsonSchemaGrammar g, JsonNode a, JsonNode b, String path) {
        Set<String> ta = types(g, a, path);
        Set<String> tb = types(g, b, path);
        if (ta.contains("any") || tb.contains("any")) {
            return false;
        }
        Set<String> both = new HashSet<>(ta);
        both.retainAll(tb);
        if (both.isEmpty()) {
            return true;
        }
        if (!both.equals(Set.of("object")) || !a.has("properties") || !b.has("properties")) {
            return false;
        }
        return excludes(a, b) || excludes(b, a) || discriminated(a, b);
    }

    private static Set<String> types(JsonSchemaGrammar g, JsonNode s, String path) {
        Set<String> t = new HashSet<>();
        if (!s.isObject() || s.has("anyOf") || s.has("oneOf") || s.has("allOf")) {
            t.add("any");
        } else if (s.has("enum") || s.has("const")) {
            for (JsonNode v : s.has("const") ? List.of(s.get("const")) : s.get("enum")) {
                t.add(StringRules.typeOf(v));
            }
        } else {
            t.addAll(g.types(s, path));
        }
        if (t.contains("integer")) {
            t.add("number");
        }
        if (t.contains("number")) {
            t.add("integer");
        }
        return t;
    }

    /** {@code a} requires a property that {@code b} cannot have. */
    private static boolean excludes(JsonNode a, JsonNode b) {
        JsonNode extra = b.get("additionalProperties");
        if (extra != null && !(extra.isBoolean() && !extra.booleanValue())) {
            return false;
        }
        for (JsonNode r : a.path("required")) {
            if (!b.path("properties").has(r.asText())) {
                return true;
            }
        }
        return false;
    }

    private static boolean discriminated(JsonNode a, JsonNode b) {
        for (JsonNode r : a.path("required")) {
            String n = r.asText();
            if (!contains(b.path("required"), n)) {
                continue;
            }
            Set<String> va = values(a.path("properties").path(n));
            Set<String> vb = values(b.path("properties").path(n));
            if (va != null && vb != null) {
                va.retainAll(vb);
                if (va.isEmpty()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean contains(JsonNode array, String n) {
        for (JsonNode e : array) {
            if (e.asText().equals(n)) {
                return true;
            }
        }
        return false;
    }

    private static Set<String> values(JsonNode s) {
        if (s.has("const")) {
            return new HashSet<>(Set.of(s.get("const").toString()));
        }
        if (s.has("enum") && s.get("enum").isArray()) {
            Set<String> v = new HashSet<>();
            s.get("enum").forEach(e -> v.add(e.toString()));
            return v;
        }
        return null;
    }
}
