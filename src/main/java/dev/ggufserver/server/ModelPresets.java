package dev.ggufserver.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code --models-config} file: per-model settings, and models to serve, in YAML.
 *
 * <pre>
 * models:
 *   r1:                                  # a name: the id clients send
 *     model: hf:bartowski/…/DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf   # optional: also serve this file
 *     ctx-size: 16384                    # optional: instead of --ctx-size
 *     parallel: 2                        # optional: instead of --parallel
 *   qwen2.5-0.5b-instruct-q4_k_m:        # settings for a model named by --model or found by --serve-models-dir
 *     ctx-size: 4096
 * </pre>
 *
 * Anything else in the file is an error naming it: a misspelt key must not be silently ignored.
 */
public final class ModelPresets {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]*");
    private static final Set<String> KEYS = Set.of("model", "ctx-size", "parallel");
    /** The same bounds as --ctx-size and --parallel. */
    static final int MIN_CONTEXT = 16;
    static final int MAX_CONTEXT = 1 << 20;
    static final int MAX_PARALLEL = 256;

    /**
     * One model's entry, in file order.
     *
     * @param reference a GGUF to serve under {@code name} (path, URL or {@code hf:}), or null
     * @param contextPerRequest tokens of context per request, or null for --ctx-size
     * @param parallel requests generated together, or null for --parallel
     */
    public record Preset(String name, String reference, Integer contextPerRequest, Integer parallel) {
    }

    /** Why the file cannot be used, naming the file and the place. */
    public static final class Invalid extends Exception {
        Invalid(Path file, String problem) {
            super(file + ": " + problem);
        }
    }

    private ModelPresets() {
    }

    public static List<Preset> read(Path file) throws Invalid {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
        } catch (JacksonException e) {
            throw new Invalid(file, "not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new Invalid(file, "cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject() || !root.path("models").isObject() || root.size() != 1) {
            throw new Invalid(file, "must hold one key, 'models', mapping each model's name to its settings");
        }
        List<Preset> presets = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.get("models").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> model = it.next();
            String name = model.getKey();
            if (!NAME.matcher(name).matches()) {
                throw new Invalid(file, "'" + name + "' is not a model name (letters, digits, then also . _ : -)");
            }
            JsonNode settings = model.getValue();
            if (!settings.isObject()) {
                throw new Invalid(file, "models." + name + " must map settings (model, ctx-size, parallel)");
            }
            for (Iterator<String> keys = settings.fieldNames(); keys.hasNext(); ) {
                String key = keys.next();
                if (!KEYS.contains(key)) {
                    throw new Invalid(file, "models." + name + "." + key + " is not a setting; the settings are "
                            + "model, ctx-size and parallel");
                }
            }
            JsonNode reference = settings.get("model");
            if (reference != null && (!reference.isTextual() || reference.asText().isBlank())) {
                throw new Invalid(file, "models." + name + ".model must be a GGUF file, URL or hf: reference");
            }
            presets.add(new Preset(name, reference == null ? null : reference.asText(),
                    number(file, name, settings, "ctx-size", MIN_CONTEXT, MAX_CONTEXT),
                    number(file, name, settings, "parallel", 1, MAX_PARALLEL)));
        }
        return presets;
    }

    private static Integer number(Path file, String name, JsonNode settings, String key, int min, int max)
            throws Invalid {
        JsonNode value = settings.get(key);
        if (value == null) {
            return null;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < min
                || value.intValue() > max) {
            throw new Invalid(file, "models." + name + "." + key + " must be a whole number from " + min + " to "
                    + max
                    + ", not " + value);
        }
        return value.intValue();
    }
}
