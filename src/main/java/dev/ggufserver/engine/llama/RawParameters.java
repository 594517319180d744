package dev.ggufserver.engine.llama;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.ModelParameters;
import dev.ggufserver.engine.EngineException;
import java.lang.reflect.Field;
import java.util.Map;

/**
 * The one channel for request parameters the binding has no setter for. de.kherud:llama 4.2.0 sends llama.cpp's
 * server a JSON object it keeps in a package-private map of key → JSON value text; llama.cpp b4916 reads more keys
 * than the binding can set (a prompt of token ids, and later {@code grammar_lazy}, {@code grammar_triggers},
 * {@code preserved_tokens}). Values are written by Jackson, never by string concatenation, so nothing a client sent
 * can break out of its value. The map is found by reflection once and checked when the model loads
 * ({@link #verify}): a binding without it is a clear load failure, not a crash at every request.
 *
 * <p>Token-id prompts: llama.cpp's server takes a prompt of token ids, and {@code ["", ids…]} is the prompt with
 * BOS (and whatever else the vocabulary adds) exactly as llama.cpp itself would add it. The engine tokenizes each
 * prompt once to count it; tokenizing it again inside the binding would cost as much once more, about 0.65 ms per
 * request on a Qwen2 vocabulary, whose pre-tokenizer regex llama.cpp b4916 compiles on every call.
 */
final class RawParameters {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Field PARAMETERS;
    private static final Field ARGUMENTS;
    private static final String PROBLEM;

    static {
        Field field = null;
        Field arguments = null;
        String problem = null;
        try {
            field = InferenceParameters.class.getSuperclass().getDeclaredField("parameters");
            field.setAccessible(true);
            map(field, new InferenceParameters("")).size();
            arguments = ModelParameters.class.getSuperclass().getDeclaredField("parameters");
            arguments.setAccessible(true);
            map(arguments, new ModelParameters()).size();
        } catch (RuntimeException | ReflectiveOperationException e) {
            problem = "de.kherud:llama changed: its parameters have no map to put raw values into (" + e + ")";
        }
        PARAMETERS = field;
        ARGUMENTS = arguments;
        PROBLEM = problem;
    }

    private RawParameters() {
    }

    /** Fails unless the binding's parameter map can be reached: called when the model loads. */
    static void verify() throws EngineException {
        if (PROBLEM != null) {
            throw new EngineException(PROBLEM);
        }
    }

    /** The prompt as token ids, with llama.cpp's own BOS rule ({@code ["", ids…]}). */
    static void setPromptTokens(InferenceParameters parameters, int[] promptIds) {
        Object[] prompt = new Object[promptIds.length + 1];
        prompt[0] = "";
        for (int i = 0; i < promptIds.length; i++) {
            prompt[i + 1] = promptIds[i];
        }
        put(parameters, "prompt", prompt);
    }

    /** Sets {@code key} to {@code value} written as JSON (a string, number, boolean, list, map or record). */
    static void put(InferenceParameters parameters, String key, Object value) {
        if (PROBLEM != null) {
            throw new IllegalStateException(PROBLEM);
        }
        try {
            map(PARAMETERS, parameters).put(key, JSON.writeValueAsString(value));
        } catch (JsonProcessingException | IllegalAccessException e) {
            throw new IllegalStateException("cannot write the request parameter " + key, e);
        }
    }

    /**
     * Sets a command-line option of llama.cpp's server as the binding passes it, for options whose setter writes
     * what llama.cpp does not accept (4.2.0's {@code setPoolingType} writes a number; llama.cpp takes a name).
     * Only constant, server-chosen values come here.
     */
    static void putArgument(ModelParameters parameters, String option, String value) {
        if (PROBLEM != null) {
            throw new IllegalStateException(PROBLEM);
        }
        try {
            map(ARGUMENTS, parameters).put(option, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot set the engine option " + option, e);
        }
    }

    /** The binding's JSON parameters as it will send them: key → JSON value. */
    @SuppressWarnings("unchecked")
    private static Map<String, String> map(Field field, Object parameters)
            throws IllegalAccessException {
        return (Map<String, String>) field.get(parameters);
    }
}
