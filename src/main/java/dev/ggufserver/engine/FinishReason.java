package dev.ggufserver.engine;

/** Why generation ended. */
public enum FinishReason {
    /** End of sequence, or a stop string. */
    STOP,
    /** The token limit or the end of the context. */
    LENGTH,
    /** Stopped on the listener's request before either of the above. */
    CANCELLED,
    /** The answer ended with tool calls (decided above the engine, which never returns it). */
    TOOL_CALLS
}
