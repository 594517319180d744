package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;

/** {@code response_format}: {@code type} is text, json_object or json_schema (the last with {@link JsonSchema}). */
@JsonDeserialize(using = ResponseFormat.Deserializer.class)
public record ResponseFormat(String type, JsonSchema jsonSchema) {

    /** {@code response_format.json_schema}; {@code schema} is kept as JSON for the grammar compiler. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record JsonSchema(String name, String description, JsonNode schema, Boolean strict) {
    }

    static final class Deserializer extends StdDeserializer<ResponseFormat> {
        Deserializer() {
            super(ResponseFormat.class);
        }

        @Override
        public ResponseFormat deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode node = ctxt.readTree(p);
            JsonNode type = node.get("type");
            if (!node.isObject() || type == null || !type.isTextual()) {
                throw FieldProblem.of(p, "must be an object with a type");
            }
            JsonNode schema = node.get("json_schema");
            JsonSchema jsonSchema = null;
            if (schema != null && !schema.isNull()) {
                try {
                    jsonSchema = ctxt.readTreeAsValue(schema, JsonSchema.class);
                } catch (JsonMappingException e) {
                    e.prependPath(ResponseFormat.class, "json_schema");
                    throw e;
                }
            }
            return new ResponseFormat(type.asText(), jsonSchema);
        }
    }
}
