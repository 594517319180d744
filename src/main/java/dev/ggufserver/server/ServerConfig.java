package dev.ggufserver.server;

import dev.ggufserver.reasoning.ReasoningFormat;
import java.nio.file.Path;

/** Everything the server is started with, from the command line or GGUF_SERVER_* variables, validated. */
public record ServerConfig(Path model, String host, int port, int contextPerRequest, int parallel, int threads,
                           String alias, ReasoningFormat reasoningFormat, boolean nativeLogs, long maxBodyBytes,
                           long keepAliveMillis) {
    public static final long DEFAULT_MAX_BODY_BYTES = 8L * 1024 * 1024;
    public static final long DEFAULT_KEEP_ALIVE_MILLIS = 5_000;
}
