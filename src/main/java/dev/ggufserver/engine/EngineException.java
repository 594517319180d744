package dev.ggufserver.engine;

/** The engine failed to generate; the message is safe to show to clients. */
public class EngineException extends Exception {
    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
