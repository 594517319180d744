package dev.ggufserver.server;

import java.time.Duration;
import java.util.List;

/**
 * What protects the HTTP side: API keys, CORS, request limits and logging of content.
 *
 * @param apiKeys         keys a client may present (Authorization: Bearer or X-Api-Key); empty means none needed
 * @param corsOrigins     origins allowed to call from a browser ("*" for any); empty means CORS is off
 * @param maxBodyBytes    largest request body (413 above)
 * @param maxMessages     most messages in one chat request
 * @param maxPromptChars  most characters of prompt text in one request (messages or prompt together)
 * @param maxHeaderBytes  largest request header block (431 above)
 * @param idleTimeout     a connection that sends or receives nothing this long is closed (slow clients)
 * @param maxConnections  connections served at once; more wait in the accept queue
 * @param keepAliveMillis interval of ": ping" comments on quiet streams
 * @param logPrompts      log prompts and answers (off by default: they are the users' data)
 * @param maxEmbeddingInputs most inputs in one embeddings request (OpenAI's limit is 2,048)
 */
public record HttpOptions(List<String> apiKeys, List<String> corsOrigins, long maxBodyBytes, int maxMessages,
                          int maxPromptChars, int maxHeaderBytes, Duration idleTimeout, int maxConnections,
                          long keepAliveMillis, boolean logPrompts,
                          int maxEmbeddingInputs) {
    public static final long DEFAULT_MAX_BODY_BYTES = 8L * 1024 * 1024;
    public static final int DEFAULT_MAX_MESSAGES = 2048;
    public static final int DEFAULT_MAX_PROMPT_CHARS = 4 * 1024 * 1024;
    public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_CONNECTIONS = 512;
    public static final long DEFAULT_KEEP_ALIVE_MILLIS = 5_000;
    public static final int DEFAULT_MAX_EMBEDDING_INPUTS = 2048;

    public HttpOptions {
        apiKeys = List.copyOf(apiKeys);
        corsOrigins = List.copyOf(corsOrigins);
    }

    public static HttpOptions defaults() {
        return new HttpOptions(List.of(), List.of(), DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_MESSAGES,
                DEFAULT_MAX_PROMPT_CHARS, DEFAULT_MAX_HEADER_BYTES, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
                DEFAULT_KEEP_ALIVE_MILLIS, false, DEFAULT_MAX_EMBEDDING_INPUTS);
    }

    public HttpOptions withApiKeys(List<String> keys) {
        return new HttpOptions(keys, corsOrigins, maxBodyBytes, maxMessages, maxPromptChars, maxHeaderBytes,
                idleTimeout, maxConnections, keepAliveMillis, logPrompts, maxEmbeddingInputs);
    }

    public HttpOptions withCorsOrigins(List<String> origins) {
        return new HttpOptions(apiKeys, origins, maxBodyBytes, maxMessages, maxPromptChars, maxHeaderBytes,
                idleTimeout, maxConnections, keepAliveMillis, logPrompts, maxEmbeddingInputs);
    }

    public HttpOptions withLimits(long maxBodyBytes, int maxMessages, int maxPromptChars, int maxHeaderBytes,
                                  Duration idleTimeout, int maxConnections) {
        return new HttpOptions(apiKeys, corsOrigins, maxBodyBytes, maxMessages, maxPromptChars, maxHeaderBytes,
                idleTimeout, maxConnections, keepAliveMillis, logPrompts, maxEmbeddingInputs);
    }

    public HttpOptions withKeepAliveMillis(long millis) {
        return new HttpOptions(apiKeys, corsOrigins, maxBodyBytes, maxMessages, maxPromptChars, maxHeaderBytes,
                idleTimeout, maxConnections, millis, logPrompts, maxEmbeddingInputs);
    }

    public HttpOptions withLogPrompts(boolean log) {
        return new HttpOptions(apiKeys, corsOrigins, maxBodyBytes, maxMessages, maxPromptChars, maxHeaderBytes,
                idleTimeout, maxConnections, keepAliveMillis, log, maxEmbeddingInputs);
    }

    public HttpOptions withMaxEmbeddingInputs(int max) {
        return new HttpOptions(apiKeys, corsOrigins, maxBodyBytes, maxMessages, maxPromptChars, maxHeaderBytes,
                idleTimeout, maxConnections, keepAliveMillis, logPrompts, max);
    }
}
