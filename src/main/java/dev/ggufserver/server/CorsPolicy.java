package dev.ggufserver.server;

import dev.ggufserver.api.openai.ApiException;
import io.javalin.http.Context;
import java.util.List;

/**
 * CORS, off by default (the chat page is same-origin). With {@code --cors-origins}, browsers on those origins may
 * call the API: simple requests get {@code Access-Control-Allow-Origin}, preflights are answered 204 with the
 * allowed methods and headers; a preflight from any other origin gets 403.
 */
final class CorsPolicy {
    private static final String ALLOWED_HEADERS = "Authorization, Content-Type, X-Api-Key, X-Request-Id, "
            + "X-Conversation-Id";
    private static final String EXPOSED_HEADERS = "X-Request-Id, Retry-After";

    private final List<String> origins;

    CorsPolicy(List<String> origins) {
        this.origins = origins;
    }

    private boolean allows(String origin) {
        return origins.contains("*") || origins.contains(origin);
    }

    /** Before every request: CORS headers for allowed origins. */
    void decorate(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null || origins.isEmpty() || !allows(origin)) {
            return;
        }
        ctx.header("Access-Control-Allow-Origin", origins.contains("*") ? "*" : origin);
        ctx.header("Vary", "Origin");
        ctx.header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
    }

    /** OPTIONS on any path: a preflight answer, or a clear refusal. */
    void preflight(Context ctx) {
        String origin = ctx.header("Origin");
        String method = ctx.header("Access-Control-Request-Method");
        if (origin == null || method == null) {
            ctx.status(204).header("Allow", "GET, POST, OPTIONS");
            return;
        }
        if (origins.isEmpty() || !allows(origin)) {
            throw new ApiException(403, "invalid_request_error", "Cross-origin requests from " + origin
                    + " are not allowed (see --cors-origins).", null, "cors_origin_not_allowed", null);
        }
        ctx.status(204)
                .header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
                .header("Access-Control-Allow-Headers", ALLOWED_HEADERS)
                .header("Access-Control-Max-Age", "600");
    }
}
