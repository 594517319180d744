package dev.ggufserver.engine.llama;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import dev.ggufserver.engine.EngineException;
import java.nio.file.Path;

/**
 * A throw-away engine process that proves a native library works before the server may use it: run as
 * {@code java -Dgguf-server.native.library=FILE -Dde.kherud.llama.lib.path=DIR -Dde.kherud.llama.tmpdir=TMP …
 * NativeLibraryCheck}. It loads the library as the engine process does ({@link NativeLibraryLoader}), then asks
 * llama.cpp to load a model that does not exist: that runs llama.cpp's start-up (backends, threads) and makes it
 * print its {@code system_info} line (the instruction sets it was compiled for) on its own output, which the parent
 * reads. llama.cpp's log callback in the binding does not see that line (it is common's log, not llama_log_set).
 *
 * <p>Its last line is {@value #OK} or {@value #FAILED} with the reason; the exit code is 0 or 3.
 */
public final class NativeLibraryCheck {
    public static final String OK = "gguf-server native check: ok";
    public static final String FAILED = "gguf-server native check: failed: ";

    private NativeLibraryCheck() {
    }

    public static void main(String[] args) {
        int code;
        try {
            Path file = NativeLibraryLoader.load();
            System.out.println("gguf-server native check: loaded " + (file == null ? "the bundled library" : file));
            Path missing = Path.of(System.getProperty("de.kherud.llama.tmpdir"), "no-such-model.gguf");
            try {
                new LlamaModel(new ModelParameters().setModel(missing.toString()).skipWarmup().setThreads(1));
                throw new EngineException("llama.cpp loaded a model that does not exist");
            } catch (RuntimeException expected) { // LlamaException (package-private): the model is missing
                System.out.println("gguf-server native check: llama.cpp started and refused the missing model");
            }
            System.out.println(OK);
            code = 0;
        } catch (EngineException | RuntimeException | LinkageError e) {
            System.out.println(FAILED + e.getMessage());
            code = 3;
        }
        System.out.flush();
        System.exit(code); // exit(), so that llama.cpp's buffered log reaches the parent
    }
}
