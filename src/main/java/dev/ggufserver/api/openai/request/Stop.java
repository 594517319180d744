package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** {@code stop}: a string or an array of strings; {@code array} says which the client sent. */
@JsonDeserialize(using = Stop.Deserializer.class)
public record Stop(List<String> values, boolean array) {
    public Stop {
        values = List.copyOf(values);
    }

    static final class Deserializer extends StdDeserializer<Stop> {
        Deserializer() {
            super(Stop.class);
        }

        @Override
        public Stop deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode node = ctxt.readTree(p);
            if (node.isTextual()) {
                return new Stop(List.of(node.asText()), false);
            }
            if (!node.isArray()) {
                throw FieldProblem.of(p, "must be a string or an array of strings");
            }
            List<String> values = new ArrayList<>(node.size());
            for (int i = 0; i < node.size(); i++) {
                if (!node.get(i).isTextual()) {
                    throw new FieldProblem(p, "[" + i + "]", "stop strings must be strings");
                }
                values.add(node.get(i).asText());
            }
            return new Stop(values, true);
        }
    }
}
