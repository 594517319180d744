package dev.ggufserver.grammar;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaException;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.resource.DisallowSchemaLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Checks a finished answer against the schema that constrained it, with networknt's validator (draft 2020-12,
 * formats asserted). The grammar already made the answer valid; this is the second opinion that catches a compiler
 * bug before a client does. Nothing is ever loaded from outside the request: a {@code $schema} or {@code $ref}
 * naming a URL is not fetched (the loader refuses every IRI). A schema the validator cannot take (a {@code $schema}
 * it does not know) leaves the answer to its grammar: no problems are reported.
 */
public final class SchemaValidation {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
            builder -> builder.schemaLoaders(loaders -> loaders.values(list -> {
                list.clear();
                list.add(DisallowSchemaLoader.getInstance());
            })));
    private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(true).build();

    private SchemaValidation() {
    }

    /**
     * What is wrong with {@code text} as a document under {@code schema} (null: it must be a JSON object); empty
     * when it conforms.
     */
    public static List<String> problems(String text, JsonNode schema) {
        JsonNode document;
        try {
            document = JSON.readTree(text);
        } catch (JacksonException e) {
            return List.of("not JSON: " + e.getOriginalMessage());
        }
        if (document == null || document.isMissingNode()) {
            return List.of("not JSON: empty");
        }
        if (schema == null) {
            return document.isObject() ? List.of() : List.of("not a JSON object");
        }
        Set<ValidationMessage> messages;
        try {
            JsonSchema compiled = FACTORY.getSchema(schema, CONFIG);
            messages = compiled.validate(document);
        } catch (JsonSchemaException | IllegalArgumentException | IllegalStateException e) {
            return List.of(); // the validator cannot take this schema; the grammar alone vouches for the answer
        }
        List<String> result = new ArrayList<>();
        for (ValidationMessage m : messages) {
            result.add(m.getMessage());
        }
        return result;
    }
}
