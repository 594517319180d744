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
 * reflection once, and checked when the model loads ({@link #verify}), so a binding without it fails to load
 * with a clear message rather than at every request.
 */
final class TokenPrompt {
    private static final Field PARAMETERS;
    private static final String PROBLEM;

    static {
        Field field = null;
        String problem = null;
        try {
            field = parametersField();
            jsonMap(field, new InferenceParameters("")).size();
        } catch (RuntimeException | ReflectiveOperationException e) {
            problem = "de.kherud:llama changed: InferenceParameters has no parameter map to put a tokenized prompt "
                    + "into (" + e + ")";
        }
        PARAMETERS = field;
        PROBLEM = problem;
    }

    private TokenPrompt() {
    }

    /** Fails unless the binding's parameter map can be reached: called when the model loads. */
    static void verify() throws dev.ggufserver.engine.EngineException {
        if (PROBLEM != null) {
            throw new dev.ggufserver.engine.EngineException(PROBLEM);
        }
    }

    static void set(InferenceParameters parameters, int[] promptIds) {
        StringBuilder json = new StringBuilder(8 + promptIds.length * 7).append("[\"\"");
        for (int id : promptIds) {
            json.append(',').append(id);
        }
        if (PROBLEM != null) {
            throw new IllegalStateException(PROBLEM);
        }
        try {
            jsonMap(PARAMETERS, parameters).put("prompt", json.append(']').toString());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The binding's JSON parameters as it will send them: key → JSON value. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> jsonMap(Field field, InferenceParameters parameters)
            throws IllegalAccessException {
        return (Map<String, String>) field.get(parameters);
    }

    private static Field parametersField() throws NoSuchFieldException {
        Field field = InferenceParameters.class.getSuperclass().getDeclaredField("parameters");
        field.setAccessible(true);
        return field;
    }
}
