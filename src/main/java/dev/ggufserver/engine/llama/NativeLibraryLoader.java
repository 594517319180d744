package dev.ggufserver.engine.llama;

import de.kherud.llama.LlamaModel;
import dev.ggufserver.engine.EngineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Loads the binding's native library before anything else touches the binding, so that a library the server chose
 * is the one that runs and its failure is told apart from a model's.
 *
 * <p>The binding (4.2.0, {@code LlamaLoader}) loads {@code System.mapLibraryName("jllama")} from the directory in
 * {@code de.kherud.llama.lib.path}, and when that fails it says so on stderr and quietly extracts and loads its
 * bundled copy instead. So the file the server chose ({@value #LIBRARY_PROPERTY}, with {@code lib.path} set to its
 * directory) is loaded here with {@link System#load} first: a file that does not load is an error, and the
 * binding's own load of the same path is then a no-op. A native call that needs no model proves the binding's
 * methods are bound to it, and a library extracted into {@code de.kherud.llama.tmpdir} would mean the binding took
 * its bundled copy after all.
 */
public final class NativeLibraryLoader {
    /** The library file the engine process must load; unset: the binding's bundled library. */
    public static final String LIBRARY_PROPERTY = "gguf-server.native.library";
    /** The name the binding loads from {@code de.kherud.llama.lib.path}. */
    public static final String LIBRARY_FILE_NAME = System.mapLibraryName("jllama");

    private NativeLibraryLoader() {
    }

    /**
     * Loads the chosen library (or lets the binding extract its own) and checks that a native method answers.
     *
     * @return the file loaded, or null for the bundled library
     * @throws EngineException when the library does not load or does not work
     */
    public static Path load() throws EngineException {
        String chosen = System.getProperty(LIBRARY_PROPERTY);
        String extractDirectory = System.getProperty("de.kherud.llama.tmpdir");
        if (extractDirectory == null) { // the binding would clean java.io.tmpdir of other processes' libraries
            throw new IllegalStateException("de.kherud.llama.tmpdir must name a private directory");
        }
        Path file = null;
        if (chosen != null) {
            file = Path.of(chosen).toAbsolutePath();
            if (!file.getFileName().toString().equals(LIBRARY_FILE_NAME)) {
                throw new EngineException("the native library must be named " + LIBRARY_FILE_NAME + " (the name "
                        + "the binding loads), not " + file.getFileName());
            }
            Path directory = file.getParent();
            if (!directory.toString().equals(System.getProperty("de.kherud.llama.lib.path"))) {
                throw new EngineException("de.kherud.llama.lib.path must be " + directory + ", where " + file
                        + " lies");
            }
            if (!Files.isRegularFile(file)) {
                throw new EngineException("the native library " + file + " does not exist");
            }
            try {
                System.load(file.toString());
            } catch (UnsatisfiedLinkError e) {
                String reason = String.valueOf(e.getMessage()).replace(file + ": ", ""); // the JDK names it twice
                throw new EngineException("the native library " + file + " does not load: " + reason, e);
            }
        }
        String grammar;
        try {
            grammar = LlamaModel.jsonSchemaToGrammar("{\"type\":\"boolean\"}");
        } catch (RuntimeException | LinkageError e) { // UnsatisfiedLinkError, or the binding's class failing to init
            throw new EngineException("the " + (file == null ? "bundled native library" : "native library " + file)
                    + " does not work: " + e, e);
        }
        if (grammar == null || !grammar.contains("root")) {
            throw new EngineException("the native library answered a test call with nonsense: " + grammar);
        }
        if (file != null && holdsExtractedLibrary(Path.of(extractDirectory))) {
            throw new EngineException("the binding did not take " + file + " and loaded its bundled library instead");
        }
        return file;
    }

    private static boolean holdsExtractedLibrary(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.anyMatch(f -> f.getFileName().toString().contains("jllama"));
        } catch (IOException e) {
            return false;
        }
    }
}
