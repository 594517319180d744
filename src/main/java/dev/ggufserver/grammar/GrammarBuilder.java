package dev.ggufserver.grammar;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Collects named rules in a deterministic order; identical bodies share one rule. */
final class GrammarBuilder {
    private final Map<String, String> rules = new LinkedHashMap<>();
    private final Map<String, String> byBody = new HashMap<>();
    private int size;

    /** Adds {@code body} under a name derived from {@code hint}, or returns the rule that already has this body. */
    String rule(String hint, String body) {
        String existing = byBody.get(body);
        if (existing != null) {
            return existing;
        }
        String name = fresh(hint);
        define(name, body);
        return name;
    }

    /** Reserves a unique name (for rules defined later, such as recursive {@code $ref} targets). */
    String fresh(String hint) {
        String base = hint.replaceAll("[^a-zA-Z0-9-]+", "-").replaceAll("^-+|-+$", "");
        if (base.isEmpty()) {
            base = "r";
        }
        if (base.length() > 40) {
            base = base.substring(0, 40);
        }
        String name = base;
        for (int i = 1; rules.containsKey(name) || name.equals("root") && !hint.equals("root"); i++) {
            name = base + "-" + i;
        }
        rules.put(name, null);
        return name;
    }

    void define(String name, String body) {
        rules.put(name, body);
        byBody.putIfAbsent(body, name);
        size += name.length() + body.length() + 6;
        if (size > JsonSchemaGrammar.MAX_GRAMMAR_CHARS || rules.size() > JsonSchemaGrammar.MAX_RULES) {
            throw new UnsupportedSchemaException("", "schema", "the schema needs a grammar above the limit of "
                    + JsonSchemaGrammar.MAX_GRAMMAR_CHARS + " characters or " + JsonSchemaGrammar.MAX_RULES
                    + " rules");
        }
    }

    String text() {
        StringBuilder sb = new StringBuilder();
        for (var e : rules.entrySet()) {
            sb.append(e.getKey()).append(" ::= ").append(e.getValue()).append('\n');
        }
        return sb.toString();
    }

    /** A GBNF literal for {@code s}. */
    static String literal(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(c -> sb.append(escape(c, false)));
        return sb.append('"').toString();
    }

    /** One code point, escaped for a literal ({@code inClass=false}) or a character class. */
    static String escape(int c, boolean inClass) {
        switch (c) {
            case '"': return "\\\"";
            case '\\': return "\\\\";
            case '\n': return "\\n";
            case '\t': return "\\t";
            case '\r': return "\\r";
            default:
        }
        if (inClass && (c == ']' || c == '[' || c == '-' || c == '^')) {
            return String.format("\\x%02X", c);
        }
        if (c < 0x20 || c == 0x7F) {
            return String.format("\\x%02X", c);
        }
        return new String(Character.toChars(c));
    }
}
