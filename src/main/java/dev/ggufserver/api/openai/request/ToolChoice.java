package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;

/**
 * {@code tool_choice}: a string ({@code none}, {@code auto}, {@code required}; checked by the validator), or
 * {@code {"type":"function","function":{"name":...}}}, which binds as {@code mode} "function" with the name.
 */
@JsonDeserialize(using = ToolChoice.Deserializer.class)
public record ToolChoice(String mode, String functionName) {
    /** The {@code mode} of the object form. */
    public static final String FUNCTION = "function";

    static final class Deserializer extends StdDeserializer<ToolChoice> {
        Deserializer() {
            super(ToolChoice.class);
        }

        @Override
        public ToolChoice deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode node = ctxt.readTree(p);
            if (node.isTextual()) {
                return new ToolChoice(node.asText(), null);
            }
            if (!node.isObject()) {
                throw FieldProblem.of(p, "must be 'none', 'auto', 'required' or {\"type\":\"function\","
                        + "\"function\":{\"name\":...}}");
            }
            JsonNode type = node.get("type");
            if (type == null || !type.isTextual() || !type.asText().equals(FUNCTION)) {
                throw new FieldProblem(p, ".type", FieldProblem.PATH + ".type must be 'function'");
            }
            JsonNode function = node.get("function");
            if (function == null || !function.isObject()) {
                throw new FieldProblem(p, ".function", FieldProblem.PATH + ".function must be an object with a name");
            }
            JsonNode name = function.get("name");
            if (name == null || !name.isTextual()) {
                throw new FieldProblem(p, ".function.name", FieldProblem.PATH + ".function.name must be a string");
            }
            return new ToolChoice(FUNCTION, name.asText());
        }
    }
}
