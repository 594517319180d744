package dev.ggufserver.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserver.engine.Constraint;
import java.util.List;

/**
 * What a request's answer must be: JSON valid under a schema ({@code response_format} json_schema), any JSON object
 * (json_object), or the client's own GBNF ({@code grammar}). Made only from checked input: the factories compile or
 * check the grammar and throw on what they cannot honour.
 *
 * @param schema the JSON Schema for {@link Kind#JSON_SCHEMA}, else null
 */
public record StructuredOutput(Kind kind, Constraint constraint, JsonNode schema) {
    public enum Kind { JSON_SCHEMA, JSON_OBJECT, GRAMMAR, TOOL_CALLS }

    /** The same text for every request: compiled once. */
    private static final String ANY_OBJECT = JsonSchemaGrammar.anyJsonObject();

    /** @throws UnsupportedSchemaException for a schema we cannot honour exactly */
    public static StructuredOutput jsonSchema(JsonNode schema) {
        return new StructuredOutput(Kind.JSON_SCHEMA, Constraint.always(JsonSchemaGrammar.compile(schema)), schema);
    }

    public static StructuredOutput jsonObject() {
        return new StructuredOutput(Kind.JSON_OBJECT, Constraint.always(ANY_OBJECT), null);
    }

    /** @throws GrammarSyntaxException for text llama.cpp would refuse or abort on */
    public static StructuredOutput grammar(String gbnf) {
        Gbnf.check(gbnf);
        return new StructuredOutput(Kind.GRAMMAR, Constraint.always(gbnf), null);
    }

    /** Tool calls in the model family's syntax ({@link ToolCallGrammar#calls}): required or a named tool. */
    public static StructuredOutput toolCalls(String callsGrammar) {
        return new StructuredOutput(Kind.TOOL_CALLS, Constraint.always(callsGrammar), null);
    }

    /**
     * What is wrong with a finished answer; empty when it conforms. A grammar of the client's own has no check
     * beyond itself.
     */
    public List<String> problems(String answer) {
        return switch (kind) {
            case JSON_SCHEMA -> SchemaValidation.problems(answer, schema);
            case JSON_OBJECT -> SchemaValidation.problems(answer, null);
            case GRAMMAR, TOOL_CALLS -> List.of();
        };
    }
}
