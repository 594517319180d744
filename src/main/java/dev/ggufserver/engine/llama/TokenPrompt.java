package dev.ggufserver.engine.llama;

import de.kherud.llama.InferenceParameters;
import java.lang.reflect.Field;
import java.util.Map;

/**
 * Hands llama.cpp a prompt we have tokenized already. The engine tokenizes each prompt once to count it (and to
 * refuse one that does not fit); tokenizing it again inside the binding would cost as much once more, about
 * 0.65 ms per request on a Qwen2 vocabulary, whose pre-tokenizer regex llama.cpp b4916 compiles on every call.
 *
 * <p>llama.cpp's server takes a prompt of token ids, and {@code ["", ids…]} is the prompt with BOS (and whatever
 * else the vocabulary adds) exactly as llama.cpp itself would add it. The binding 4.2.0 only has
 * {@code setPrompt(String)}, so the JSON value is put into its parameter map, which is package-private: read by
 * reflection once, and checked at class load, so a binding without it fails at startup, not per request.
 */
final class TokenPrompt {
    private static final Field PARAMETERS = parametersField();

    private TokenPrompt() {
    }

    static void set(InferenceParameters parameters, int[] promptIds) {
        StringBuilder json = new StringBuilder(8 + promptIds.length * 7).append("[\"\"");
        for (int id : promptIds) {
            json.append(',').append(id);
        }
        jsonMap(parameters).put("prompt", json.append(']').toString());
    }

    /** The binding's JSON parameters as it will send them: key → JSON value. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> jsonMap(InferenceParameters parameters) {
        try {
            return (Map<String, String>) PARAMETERS.get(parameters);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Field parametersField() {
        try {
            Field field = InferenceParameters.class.getSuperclass().getDeclaredField("parameters");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError("de.kherud:llama changed: InferenceParameters has no parameter "
                    + "map to put a tokenized prompt into (" + e + ")");
        }
    }
}
