package dev.ggufserver.support;

import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.engine.llama.LlamaEngine;
import dev.ggufserver.engine.llama.Vocabulary;
import dev.ggufserver.models.GgufFormatException;
import dev.ggufserver.models.GgufReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Tiny-model engines inside the test JVM, loaded once and never closed. The binding's close frees llama.cpp's
 * server context without joining its loop thread, so an engine loaded after another was closed in the same process
 * can have its memory written by the old thread (the server closes engines only as their process ends, see
 * {@link LlamaEngine#close}); a suite that closed and loaded engines in turn saw a scripted model lose its
 * trigger word once in many runs.
 */
public final class InProcessEngines {
    private static final Map<String, LlamaEngine> ENGINES = new HashMap<>();

    private InProcessEngines() {
    }

    /** One slot of {@code contextTokens} on two threads, for {@code model}, shared by every test that asks. */
    public static synchronized LlamaEngine tiny(Path model, int contextTokens) {
        return ENGINES.computeIfAbsent(model + ":" + contextTokens, k -> {
            try {
                return LlamaEngine.load(new LlamaEngine.Settings(model, contextTokens, 1, 2, false),
                        new ModelInfo("tiny", contextTokens, 1, "qwen2", 0, "F32", 0, 0, true, null),
                        Vocabulary.fromGguf(GgufReader.read(model)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (EngineException | GgufFormatException e) {
                throw new IllegalStateException("cannot load " + model, e);
            }
        });
    }

    /**
     * An embedding model in embedding mode: two slots of {@code contextTokens}, pooled by {@code pooling} (null for
     * the model's own), shared by every test that asks.
     */
    public static synchronized LlamaEngine embedding(Path model, int contextTokens, String pooling) {
        return ENGINES.computeIfAbsent(model + ":" + contextTokens + ":embed:" + pooling, k -> {
            try {
                return LlamaEngine.load(new LlamaEngine.Settings(model, contextTokens, 2, 2, false, true, pooling,
                        dev.ggufserver.engine.NativeLibrary.LLAMA_CPP_DEFAULT),
                        new ModelInfo("tiny-bert", contextTokens, 2, "bert", 0, "F32", 0, 0, false, null),
                        Vocabulary.fromGguf(GgufReader.read(model)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (EngineException | GgufFormatException e) {
                throw new IllegalStateException("cannot load " + model, e);
            }
        });
    }
}
