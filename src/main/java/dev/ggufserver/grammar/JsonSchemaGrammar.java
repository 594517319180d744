package dev.ggufserver.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON Schema into a GBNF grammar (llama.cpp b4916 dialect) whose every accepted string is a JSON document
 * valid under the schema. What cannot be honoured exactly is refused with {@link UnsupportedSchemaException}, never
 * loosened. The output may be <em>stricter</em> than the schema (documented below), never looser.
 *
 * <p><b>Compiled:</b> {@code type} (one or a list), {@code enum}, {@code const}, {@code properties}, {@code required},
 * {@code additionalProperties}, {@code items}, {@code minItems}, {@code maxItems}, {@code minLength},
 * {@code maxLength}, {@code pattern} (see {@link PatternRules}), {@code format} (date, time, date-time, uuid),
 * {@code minimum}, {@code maximum}, {@code exclusiveMinimum}, {@code exclusiveMaximum} (see {@link NumberRules}),
 * {@code anyOf}, {@code oneOf} (only with branches that cannot overlap), {@code allOf} with one element, local
 * {@code $ref} ({@code #}, {@code #/$defs/..}, {@code #/definitions/..}), {@code $defs}, {@code definitions}.
 * <b>Ignored</b> (they do not constrain output): {@link #IGNORED}. <b>Refused by name:</b> every other keyword,
 * including {@code not}, {@code if}/{@code then}/{@code else}, {@code uniqueItems}, {@code patternProperties},
 * {@code dependentSchemas}, {@code dependentRequired}, {@code contains}, {@code propertyNames},
 * {@code minProperties}/{@code maxProperties}, {@code multipleOf}, {@code prefixItems}, {@code unevaluated*}, remote
 * {@code $ref}, and unknown keywords.
 *
 * <p><b>Decisions:</b> an absent {@code additionalProperties} means {@code false} (as in OpenAI strict mode); true or
 * a schema allows extra keys after the declared ones, which may not repeat a declared name. Properties come out in
 * schema order; optional ones may be left out. {@code enum}/{@code const} may sit beside {@code type} only (values of
 * other types are dropped). A schema without {@code type} takes its type from its keywords (e.g. {@code minLength}
 * makes it a string); a schema with none stands for any JSON value up to {@link #MAX_ANY_DEPTH} levels deep.
 * Between tokens the grammar allows at most one space, or one newline followed by up to 16 spaces or tabs
 * ({@code ws}), so a model cannot loop on whitespace; the document itself has none before or after it.
 *
 * <p><b>Limits:</b> schema nesting {@link #MAX_DEPTH}, {@link #MAX_PROPERTIES} properties per object,
 * {@link #MAX_ENUM} enum values, repetition bounds ({@code minLength}, {@code maxLength}, {@code minItems},
 * {@code maxItems}, pattern {@code {m,n}}) up to {@link Gbnf#MAX_REPEAT}, grammar size {@link #MAX_GRAMMAR_CHARS}
 * characters and {@link #MAX_RULES} rules, all repetition bounds together {@link Gbnf#MAX_EXPANSION}. Every result
 * passes {@link Gbnf#check}. The output is deterministic: the same schema gives the same text.
 */
public final class JsonSchemaGrammar {
    public static final int MAX_DEPTH = 32;
    public static final int MAX_PROPERTIES = 256;
    public static final int MAX_ENUM = 1000;
    public static final int MAX_GRAMMAR_CHARS = Gbnf.MAX_CHARS;
    public static final int MAX_RULES = 2_000;
    /** How deep an unconstrained value (or a {@code json_object} document) may nest. */
    public static final int MAX_ANY_DEPTH = 8;

    /** Annotations: accepted and ignored. */
    public static final Set<String> IGNORED = Set.of("title", "description", "examples", "default", "$schema", "$id",
            "$comment", "deprecated", "readOnly", "writeOnly", "contentMediaType", "contentEncoding");
    static final Set<String> COMPILED = Set.of("type", "enum", "const", "properties", "required",
            "additionalProperties", "items", "minItems", "maxItems", "minLength", "maxLength", "pattern", "format",
            "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "anyOf", "oneOf", "allOf", "$ref", "$defs",
            "definitions");
    private static final Set<String> TYPES = Set.of("object", "array", "string", "integer", "number", "boolean",
            "null");

    final JsonNode rootSchema;
    final GrammarBuilder out;
    private final Map<String, String> refRules = new HashMap<>();
    final StringRules strings = new StringRules(this);
    final NumberRules numbers = new NumberRules(this);
    final ObjectRules objects = new ObjectRules(this);

    private JsonSchemaGrammar(JsonNode rootSchema) {
        this(rootSchema, new GrammarBuilder());
    }

    private JsonSchemaGrammar(JsonNode rootSchema, GrammarBuilder out) {
        this.rootSchema = rootSchema;
        this.out = out;
    }

    /**
     * One grammar for documents around several schemas: each schema becomes a rule (its {@code $ref}s resolved
     * within itself), and {@code root} writes the root rule's body from those rule names, in order. Checked like
     * {@link #compile}; a schema's problem names its index in the path ({@code [2].properties.x}).
     */
    public static String compileAround(List<JsonNode> schemas, java.util.function.Function<List<String>, String> root) {
        GrammarBuilder out = new GrammarBuilder();
        String rootName = out.fresh("root");
        List<String> names = new ArrayList<>(schemas.size());
        for (int i = 0; i < schemas.size(); i++) {
            JsonNode schema = schemas.get(i);
            JsonSchemaGrammar g = new JsonSchemaGrammar(schema, out);
            String name = out.fresh("schema-" + i);
            try {
                out.define(name, g.schema(schema, "", 0));
            } catch (UnsupportedSchemaException e) {
                throw new UnsupportedSchemaException("[" + i + "]" + (e.path().isEmpty() ? "" : "." + e.path()),
                        e.keyword(), e.getMessage());
            }
            names.add(name);
        }
        out.define(rootName, root.apply(names));
        String text = out.text();
        try {
            Gbnf.check(text);
        } catch (GrammarSyntaxException e) {
            throw new UnsupportedSchemaException("", "schema",
                    "the schemas cannot be compiled to a grammar llama.cpp accepts: " + e.getMessage());
        }
        return text;
    }

    /** A GBNF literal for {@code text}. */
    public static String literal(String text) {
        return GrammarBuilder.literal(text);
    }

    /** The grammar for documents valid under {@code schema}; throws {@link UnsupportedSchemaException}. */
    public static String compile(JsonNode schema) {
        if (schema == null) {
            throw new UnsupportedSchemaException("", "schema", "no schema given");
        }
        JsonSchemaGrammar g = new JsonSchemaGrammar(schema);
        String root = g.out.fresh("root");
        g.out.define(root, g.schema(schema, "", 0));
        String text = g.out.text();
        try {
            Gbnf.check(text);
        } catch (GrammarSyntaxException e) {
            // a $ref cycle that consumes nothing (left recursion), or repetitions above Gbnf.MAX_EXPANSION
            throw new UnsupportedSchemaException("", e.getMessage().contains("left-recursive") ? "$ref" : "schema",
                    "the schema cannot be compiled to a grammar llama.cpp accepts: " + e.getMessage());
        }
        return text;
    }

    /** The grammar for {@code json_object}: any JSON object, bounded whitespace, nesting up to MAX_ANY_DEPTH. */
    public static String anyJsonObject() {
        JsonSchemaGrammar g = new JsonSchemaGrammar(null);
        String root = g.out.fresh("root");
        g.out.define(root, g.anyObject(MAX_ANY_DEPTH));
        return g.out.text();
    }

    /** A GBNF expression (atomic: a name, a literal or a group) for {@code s}. */
    String schema(JsonNode s, String path, int depth) {
        if (depth > MAX_DEPTH) {
            throw new UnsupportedSchemaException(path, "schema", "nested deeper than " + MAX_DEPTH + " levels");
        }
        if (s.isBoolean()) {
            if (!s.booleanValue()) {
                throw new UnsupportedSchemaException(path, "false", "the schema false accepts nothing");
            }
            return anyValue(MAX_ANY_DEPTH);
        }
        if (!s.isObject()) {
            throw new UnsupportedSchemaException(path, "schema", "a schema must be an object or a boolean");
        }
        for (Iterator<String> it = s.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!IGNORED.contains(k) && !COMPILED.contains(k)) {
                throw new UnsupportedSchemaException(at(path, k), k, "the keyword '" + k + "' is not supported");
            }
        }
        for (String c : List.of("$ref", "anyOf", "oneOf", "allOf", "enum", "const")) {
            if (s.has(c)) {
                for (Iterator<String> it = s.fieldNames(); it.hasNext();) {
                    String k = it.next();
                    boolean ok = IGNORED.contains(k) || k.equals(c) || k.equals("$defs") || k.equals("definitions")
                            || (k.equals("type") && (c.equals("enum") || c.equals("const")));
                    if (!ok) {
                        throw new UnsupportedSchemaException(at(path, k), k, "'" + k + "' beside '" + c
                                + "' is not supported; move it into the branches");
                    }
                }
                return combinator(c, s, path, depth);
            }
        }
        List<String> types = types(s, path);
        List<String> options = new ArrayList<>();
        for (String t : types) {
            options.add(switch (t) {
                case "null" -> "\"null\"";
                case "boolean" -> "(\"true\" | \"false\")";
                case "integer" -> numbers.integer(s, path);
                case "number" -> numbers.number(s, path);
                case "string" -> strings.string(s, path);
                case "array" -> objects.array(s, path, depth);
                case "object" -> objects.object(s, path, depth);
                default -> anyValue(MAX_ANY_DEPTH);
            });
        }
        return group(options);
    }

    private String combinator(String c, JsonNode s, String path, int depth) {
        JsonNode v = s.get(c);
        String p = at(path, c);
        switch (c) {
            case "$ref":
                return ref(v, p, depth);
            case "enum":
            case "const":
                return strings.literals(c, s, p);
            default:
        }
        if (!v.isArray() || v.isEmpty()) {
            throw new UnsupportedSchemaException(p, c, "'" + c + "' must be a non-empty array of schemas");
        }
        if (c.equals("allOf") && v.size() != 1) {
            throw new UnsupportedSchemaException(p, c, "'allOf' is supported with one schema only");
        }
        if (c.equals("oneOf")) {
            Disjoint.check(this, v, p);
        }
        List<String> options = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            options.add(schema(v.get(i), p + "[" + i + "]", depth + 1));
        }
        return group(options);
    }

    private String ref(JsonNode v, String path, int depth) {
        JsonNode target = resolve(v, path);
        String pointer = v.textValue();
        String name = refRules.get(pointer);
        if (name == null) {
            name = out.fresh(pointer.isEmpty() || pointer.equals("#") ? "root-ref" : pointer.substring(
                    pointer.lastIndexOf('/') + 1));
            refRules.put(pointer, name);
            out.define(name, schema(target, path, depth + 1));
        }
        return name;
    }

    /** The schema a local {@code $ref} points to. */
    JsonNode resolve(JsonNode v, String path) {
        if (v == null || !v.isTextual()) {
            throw new UnsupportedSchemaException(path, "$ref", "'$ref' must be a string");
        }
        String ref = v.textValue();
        if (!ref.equals("#") && !ref.startsWith("#/")) {
            throw new UnsupportedSchemaException(path, "$ref", "only references inside the document (#/...) are "
                    + "supported, not '" + ref + "'");
        }
        JsonNode target = rootSchema;
        if (ref.length() > 1) {
            for (String part : ref.substring(2).split("/", -1)) {
                String key = java.net.URLDecoder.decode(part.replace("+", "%2B"),
                        java.nio.charset.StandardCharsets.UTF_8).replace("~1", "/").replace("~0", "~");
                target = target == null ? null : target.isArray() && key.matches("\\d{1,6}")
                        ? target.get(Integer.parseInt(key)) : target.get(key);
            }
        }
        if (target == null || target.isMissingNode()) {
            throw new UnsupportedSchemaException(path, "$ref", "'" + ref + "' points to nothing in the schema");
        }
        return target;
    }

    /** The types a schema allows, from {@code type} or inferred from its keywords; "any" for none. */
    List<String> types(JsonNode s, String path) {
        JsonNode t = s.get("type");
        List<String> types = new ArrayList<>();
        if (t == null) {
            if (s.has("properties") || s.has("required") || s.has("additionalProperties")) {
                types.add("object");
            } else if (s.has("items") || s.has("minItems") || s.has("maxItems")) {
                types.add("array");
            } else if (s.has("minLength") || s.has("maxLength") || s.has("pattern") || s.has("format")) {
                types.add("string");
            } else if (s.has("minimum") || s.has("maximum") || s.has("exclusiveMinimum")
                    || s.has("exclusiveMaximum")) {
                types.add("number");
            } else {
                types.add("any");
            }
            return types;
        }
        for (JsonNode e : t.isArray() ? t : List.of(t)) {
            if (!e.isTextual() || !TYPES.contains(e.textValue())) {
                throw new UnsupportedSchemaException(at(path, "type"), "type", "unknown type " + e);
            }
            if (!types.contains(e.textValue())) {
                types.add(e.textValue());
            }
        }
        if (types.isEmpty()) {
            throw new UnsupportedSchemaException(at(path, "type"), "type", "an empty type list accepts nothing");
        }
        if (types.contains("number")) {
            types.remove("integer");
        }
        return types;
    }

    /** Whitespace between tokens: bounded, so a model cannot loop on it. */
    String ws() {
        return out.rule("ws", "( \" \" | \"\\n\" [ \\t]{0,16} )?");
    }

    String anyValue(int depth) {
        String scalar = out.rule("scalar", strings.plainString() + " | " + numbers.plainNumber()
                + " | \"true\" | \"false\" | \"null\"");
        if (depth == 0) {
            return scalar;
        }
        return out.rule("value-" + depth, scalar + " | " + anyObject(depth) + " | " + anyArray(depth));
    }

    String anyObject(int depth) {
        String inner = anyValue(depth - 1);
        String ws = ws();
        String member = out.rule("member-" + depth, strings.plainString() + " " + ws + " \":\" " + ws + " " + inner
                + " " + ws);
        return out.rule("object-" + depth, "\"{\" " + ws + " ( " + member + " ( \",\" " + ws + " " + member
                + " )* )? \"}\"");
    }

    private String anyArray(int depth) {
        String inner = anyValue(depth - 1);
        String ws = ws();
        return out.rule("array-" + depth, "\"[\" " + ws + " ( " + inner + " " + ws + " ( \",\" " + ws + " "
                + inner + " " + ws + " )* )? \"]\"");
    }

    static String group(List<String> options) {
        return options.size() == 1 ? options.get(0) : "( " + String.join(" | ", options) + " )";
    }

    static String at(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** A non-negative integer keyword up to {@code max}, or -1 when absent. */
    static int bound(JsonNode s, String keyword, String path, int max) {
        JsonNode v = s.get(keyword);
        if (v == null) {
            return -1;
        }
        if (!v.canConvertToExactIntegral() || v.asLong() < 0 || v.isTextual()) {
            throw new UnsupportedSchemaException(at(path, keyword), keyword, "'" + keyword
                    + "' must be a non-negative integer");
        }
        if (v.asLong() > max) {
            throw new UnsupportedSchemaException(at(path, keyword), keyword, "'" + keyword + "' above the limit of "
                    + max);
        }
        return v.asInt();
    }
}
