package dev.ggufserver.engine;

/**
 * Whether the engine can take requests now, and if not, why (shown by /health and in 503 answers).
 *
 * @param ready  true when requests are served
 * @param detail what is going on when not ready, e.g. "the engine process stopped (exit code 134); restarting"
 */
public record EngineStatus(boolean ready, String detail) {
    public static final EngineStatus READY = new EngineStatus(true, "ready");

    public static EngineStatus unavailable(String detail) {
        return new EngineStatus(false, detail);
    }
}
