package dev.ggufserver.engine.worker;

import dev.ggufserver.engine.EngineException;

/**
 * An engine process could not start with its native library: the library did not load, or the process died before
 * it could load the model (a crash, an illegal instruction) while it ran a library other than the bundled one.
 */
final class NativeLibraryException extends EngineException {
    private static final long serialVersionUID = 1L;

    NativeLibraryException(String message) {
        super(message);
    }
}
