package dev.ggufserver.engine;

/** The engine cannot take requests right now (restarting, shutting down); clients should retry later. */
public class EngineUnavailableException extends EngineException {
    public EngineUnavailableException(String message) {
        super(message);
    }
}
