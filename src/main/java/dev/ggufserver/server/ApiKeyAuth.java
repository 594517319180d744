package dev.ggufserver.server;

import dev.ggufserver.api.openai.ApiException;
import dev.ggufserver.api.openai.CompletionHandlers;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * API keys: every request but the public ones must carry a configured key, as {@code Authorization: Bearer KEY}
 * (what the OpenAI SDKs send) or {@code X-Api-Key: KEY}. Keys are compared as SHA-256 digests with
 * {@link MessageDigest#isEqual} against every configured key, so neither timing nor length gives a key away.
 */
final class ApiKeyAuth {
    /** What works without a key: the health check and the chat page's files (the page asks for the key). */
    private static final Set<String> PUBLIC_PATHS = Set.of("/health", "/", "/index.html", "/app.js", "/app.css",
            "/favicon.ico");

    private final List<byte[]> keyDigests;

    ApiKeyAuth(List<String> keys) {
        this.keyDigests = keys.stream().map(ApiKeyAuth::digest).toList();
    }

    boolean enabled() {
        return !keyDigests.isEmpty();
    }

    static boolean isPublic(Context ctx) {
        String path = ctx.path();
        return PUBLIC_PATHS.contains(path) || path.startsWith("/webjars/")
                || ctx.method().name().equals("OPTIONS"); // CORS preflights never carry credentials
    }

    /** A Javalin before-handler. */
    void check(Context ctx) {
        if (!enabled() || isPublic(ctx)) {
            return;
        }
        String presented = presentedKey(ctx);
        if (presented == null) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(401, "invalid_request_error", "You didn't provide an API key. Send it as "
                    + "'Authorization: Bearer YOUR_KEY' (or 'X-Api-Key: YOUR_KEY').", null, "missing_api_key", null);
        }
        byte[] digest = digest(presented);
        boolean match = false;
        for (byte[] key : keyDigests) {
            match |= MessageDigest.isEqual(key, digest); // no early exit: every key costs the same
        }
        if (!match) {
            ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            throw new ApiException(401, "invalid_request_error", "Incorrect API key provided.", null,
                    "invalid_api_key", null);
        }
        // who called, for what only the same caller may do later (end a completion's thinking)
        ctx.attribute(CompletionHandlers.CALLER, HexFormat.of().formatHex(digest));
    }

    private static String presentedKey(Context ctx) {
        String authorization = ctx.header("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String key = authorization.substring(7).trim();
            return key.isEmpty() ? null : key;
        }
        String apiKey = ctx.header("X-Api-Key");
        return apiKey == null || apiKey.isBlank() ? null : apiKey.trim();
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
