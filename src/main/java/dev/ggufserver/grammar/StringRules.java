package dev.ggufserver.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Strings, formats and literal values. A string character is any code point but {@code "}, {@code \} and controls, or
 * an escape; {@code \}{@code u} escapes of surrogates are left out, so that one grammar character is one code point
 * and {@code minLength}/{@code maxLength} count exactly as JSON Schema does.
 *
 * <p>Formats are exact or stricter: {@code date} is {@code YYYY-MM-DD} with days up to 28 in February (leap days
 * left out), 30 or 31 by month; {@code time} is {@code hh:mm:ss[.f{1,6}]} with {@code Z} or a real-world offset up
 * to {@code ±14:00} (no leap second); {@code date-time} is date {@code T} time; {@code uuid} is 8-4-4-4-12 hex digits.
 * Other formats are refused.
 */
final class StringRules {
    private final JsonSchemaGrammar g;

    StringRules(JsonSchemaGrammar g) {
        this.g = g;
    }

    String character() {
        return g.out.rule("char", "[^\"\\\\\\x00-\\x1F\\x7F] | \"\\\\\" ( [\"\\\\/bfnrt] | \"u\" ( [0-9a-cA-C] "
                + "[0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2} | [eEfF] [0-9a-fA-F]{3} ) )");
    }

    String plainString() {
        return g.out.rule("string", "\"\\\"\" " + character() + "* \"\\\"\"");
    }

    String string(JsonNode s, String path) {
        int min = JsonSchemaGrammar.bound(s, "minLength", path, Gbnf.MAX_REPEAT);
        int max = JsonSchemaGrammar.bound(s, "maxLength", path, Gbnf.MAX_REPEAT);
        int used = (s.has("pattern") ? 1 : 0) + (s.has("format") ? 1 : 0) + (min >= 0 || max >= 0 ? 1 : 0);
        if (used > 1) {
            String k = s.has("pattern") && s.has("format") ? "format" : s.has("minLength") ? "minLength"
                    : "maxLength";
            throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, k), k, "'" + k + "' together with "
                    + (k.equals("format") ? "'pattern'" : s.has("pattern") ? "'pattern'" : "'format'")
                    + " is not supported");
        }
        if (s.has("format")) {
            return format(s.get("format"), JsonSchemaGrammar.at(path, "format"));
        }
        if (s.has("pattern")) {
            return new PatternRules(g, JsonSchemaGrammar.at(path, "pattern")).compile(s.get("pattern"));
        }
        if (min < 0 && max < 0) {
            return plainString();
        }
        if (max >= 0 && min > max) {
            throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, "minLength"), "minLength",
                    "'minLength' is above 'maxLength': nothing can match");
        }
        String rep = max < 0 ? "{" + Math.max(min, 0) + ",}" : "{" + Math.max(min, 0) + "," + max + "}";
        return g.out.rule("string-" + Math.max(min, 0) + "-" + (max < 0 ? "n" : max), "\"\\\"\" " + character()
                + rep + " \"\\\"\"");
    }

    private String format(JsonNode f, String path) {
        if (!f.isTextual()) {
            throw new UnsupportedSchemaException(path, "format", "'format' must be a string");
        }
        String q = "\"\\\"\"";
        switch (f.textValue()) {
            case "date":
                return g.out.rule("date-string", q + " " + date() + " " + q);
            case "time":
                return g.out.rule("time-string", q + " " + time() + " " + q);
            case "date-time":
                return g.out.rule("date-time-string", q + " " + date() + " \"T\" " + time() + " " + q);
            case "uuid":
                return g.out.rule("uuid-string", q + " [0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} "
                        + "\"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{12} " + q);
            default:
                throw new UnsupportedSchemaException(path, "format", "format '" + f.textValue()
                        + "' is not supported (date, time, date-time, uuid are)");
        }
    }

    private String date() {
        return g.out.rule("date", "[0-9]{4} \"-\" ( ( \"0\" [13578] | \"1\" [02] ) \"-\" ( \"0\" [1-9] | [12] [0-9] "
                + "| \"3\" [01] ) | ( \"0\" [469] | \"11\" ) \"-\" ( \"0\" [1-9] | [12] [0-9] | \"30\" ) | \"02-\" "
                + "( \"0\" [1-9] | \"1\" [0-9] | \"2\" [0-8] ) )");
    }

    private String time() {
        return g.out.rule("time", "( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" "
                + "[0-9]{1,6} )? ( [zZ] | [+-] ( ( \"0\" [0-9] | \"1\" [0-3] ) \":\" [0-5] [0-9] | \"14:00\" ) )");
    }

    /** {@code enum} or {@code const}: the values as compact JSON literals, dropping those of other types. */
    String literals(String keyword, JsonNode s, String path) {
        JsonNode v = s.get(keyword);
        List<JsonNode> values = new ArrayList<>();
        if (keyword.equals("const")) {
            values.add(v);
        } else {
            if (!v.isArray() || v.isEmpty()) {
                throw new UnsupportedSchemaException(path, keyword, "'enum' must be a non-empty array");
            }
            if (v.size() > JsonSchemaGrammar.MAX_ENUM) {
                throw new UnsupportedSchemaException(path, keyword, "'enum' has more than "
                        + JsonSchemaGrammar.MAX_ENUM + " values");
            }
            v.forEach(values::add);
        }
        List<String> types = s.has("type") ? g.types(s, path.substring(0, Math.max(0, path.length() - keyword.length() - 1))) : List.of("any");
        List<String> options = new ArrayList<>();
        for (JsonNode e : values) {
            if (types.contains("any") || types.contains(typeOf(e))
                    || (typeOf(e).equals("integer") && types.contains("number"))) {
                String lit = GrammarBuilder.literal(e.toString());
                if (!options.contains(lit)) {
                    options.add(lit);
                }
            }
        }
        if (options.isEmpty()) {
            throw new UnsupportedSchemaException(path, keyword, "no value of '" + keyword + "' has the given type");
        }
        return JsonSchemaGrammar.group(options);
    }

    static String typeOf(JsonNode e) {
        if (e.isNull()) {
            return "null";
        } else if (e.isBoolean()) {
            return "boolean";
        } else if (e.isIntegralNumber() || e.isNumber() && e.canConvertToExactIntegral()) {
            return "integer";
        } else if (e.isNumber()) {
            return "number";
        } else if (e.isTextual()) {
            return "string";
        } else if (e.isArray()) {
            return "array";
        }
        return "object";
    }
}
