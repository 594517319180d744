package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import dev.ggufserver.engine.EmbeddingInput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code input} of an embeddings request, in OpenAI's four forms: a string, an array of strings, an array of token
 * ids (one input), or an array of token-id arrays. Strings and token arrays must not be empty, and the forms do not
 * mix; token ids are checked against the model's vocabulary once the model is known.
 */
@JsonDeserialize(using = EmbeddingRequestInput.Deserializer.class)
public record EmbeddingRequestInput(List<EmbeddingInput> inputs, boolean listed) {
    static final String FORMS = "must be a string, an array of strings, an array of token ids, or an array of "
            + "arrays of token ids";

    /**
     * @param inputs in request order
     * @param listed whether the client sent a list of inputs (strings or token arrays), whose items
     *               {@code input[i]} names, rather than one string or one token array
     */
    public EmbeddingRequestInput {
        inputs = List.copyOf(inputs);
    }

    /** How an error names input {@code index}. */
    public String param(int index) {
        return listed ? "input[" + index + "]" : "input";
    }

    static final class Deserializer extends StdDeserializer<EmbeddingRequestInput> {
        Deserializer() {
            super(EmbeddingRequestInput.class);
        }

        @Override
        public EmbeddingRequestInput deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode node = ctxt.readTree(p);
            if (node.isTextual()) {
                return new EmbeddingRequestInput(List.of(text(p, node, "")), false);
            }
            if (!node.isArray()) {
                throw FieldProblem.of(p, FORMS);
            }
            if (node.isEmpty()) {
                throw FieldProblem.of(p, "must not be an empty array");
            }
            JsonNode first = node.get(0);
            List<EmbeddingInput> inputs = new ArrayList<>(node.size());
            if (first.isIntegralNumber()) {
                return new EmbeddingRequestInput(List.of(EmbeddingInput.ofTokens(tokens(p, node, ""))), false);
            } else {
                for (int i = 0; i < node.size(); i++) {
                    JsonNode item = node.get(i);
                    String at = "[" + i + "]";
                    if (first.isTextual() && item.isTextual()) {
                        inputs.add(text(p, item, at));
                    } else if (first.isArray() && item.isArray()) {
                        inputs.add(EmbeddingInput.ofTokens(tokens(p, item, at)));
                    } else {
                        throw new FieldProblem(p, at, FieldProblem.PATH + " " + FORMS + " (its items all of one "
                                + "kind), but item " + i + " is " + kind(item)
                                + (i > 0 ? " after " + kind(first) : ""));
                    }
                }
            }
            return new EmbeddingRequestInput(inputs, true);
        }

        private static EmbeddingInput text(JsonParser p, JsonNode node, String at) throws FieldProblem {
            if (node.asText().isEmpty()) {
                throw new FieldProblem(p, at, FieldProblem.PATH + at + " must not be an empty string");
            }
            return EmbeddingInput.ofText(node.asText());
        }

        private static int[] tokens(JsonParser p, JsonNode array, String at) throws FieldProblem {
            if (array.isEmpty()) {
                throw new FieldProblem(p, at, FieldProblem.PATH + at + " must not be an empty array");
            }
            int[] ids = new int[array.size()];
            for (int j = 0; j < array.size(); j++) {
                JsonNode id = array.get(j);
                if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0) {
                    String where = at + "[" + j + "]";
                    throw new FieldProblem(p, where, FieldProblem.PATH + where + " must be a token id (an integer "
                            + "of 0 or more), not " + id);
                }
                ids[j] = id.intValue();
            }
            return ids;
        }

        private static String kind(JsonNode node) {
            return node.isTextual() ? "a string" : node.isArray() ? "an array" : node.isNumber() ? "a number"
                    : node.isObject() ? "an object" : node.isBoolean() ? "a boolean" : "null";
        }
    }
}
