package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** {@code prompt}: a string or a non-empty array of strings. Token arrays are refused while binding. */
@JsonDeserialize(using = Prompt.Deserializer.class)
public record Prompt(List<String> texts) {
    public Prompt {
        texts = List.copyOf(texts);
    }

    static final class Deserializer extends StdDeserializer<Prompt> {
        Deserializer() {
            super(Prompt.class);
        }

        @Override
        public Prompt deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode node = ctxt.readTree(p);
            if (node.isTextual()) {
                return new Prompt(List.of(node.asText()));
            }
            if (node.isArray() && !node.isEmpty()) {
                List<String> texts = new ArrayList<>(node.size());
                for (JsonNode text : node) {
                    if (!text.isTextual()) {
                        break;
                    }
                    texts.add(text.asText());
                }
                if (texts.size() == node.size()) {
                    return new Prompt(texts);
                }
            }
            throw FieldProblem.of(p, "must be a string (token arrays are not supported)");
        }
    }
}
