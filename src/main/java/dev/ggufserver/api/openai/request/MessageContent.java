package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A message's {@code content}: a string, or an array of typed parts. */
@JsonDeserialize(using = MessageContent.Deserializer.class)
public sealed interface MessageContent {
    record Text(String text) implements MessageContent {
    }

    record Parts(List<ContentPart> parts) implements MessageContent {
        public Parts {
            parts = List.copyOf(parts);
        }
    }

    /**
     * One part, {@code {type, text}}. Parts of other types (image_url, input_audio...) bind with {@code text} null;
     * {@code text} is also null when a text part's text is not a string.
     */
    record ContentPart(String type, String text) {
    }

    final class Deserializer extends StdDeserializer<MessageContent> {
        Deserializer() {
            super(MessageContent.class);
        }

        @Override
        public MessageContent deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode node = ctxt.readTree(p);
            if (node.isTextual()) {
                return new Text(node.asText());
            }
            if (!node.isArray()) {
                throw FieldProblem.of(p, "must be a string or an array of content parts");
            }
            List<ContentPart> parts = new ArrayList<>(node.size());
            for (int j = 0; j < node.size(); j++) {
                JsonNode part = node.get(j);
                JsonNode type = part.get("type");
                if (!part.isObject() || type == null || !type.isTextual()) {
                    throw new FieldProblem(p, "[" + j + "]", FieldProblem.PATH + "[" + j + "] must be an object "
                            + "with a type");
                }
                JsonNode text = part.get("text");
                parts.add(new ContentPart(type.asText(), text != null && text.isTextual() ? text.asText() : null));
            }
            return new Parts(parts);
        }
    }
}
