package dev.ggufserver.server;

import dev.ggufserver.api.openai.ApiException;
import io.javalin.http.Context;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * CORS, off by default (the chat page is same-origin). With {@code --cors-origins}, browsers on those origins may
 * call the API: simple requests get {@code Access-Control-Allow-Origin}, preflights are answered 204 with the
 * allowed methods and the headers the page asked for; a preflight from any other origin gets 403, and so does any
 * other request carrying an {@code Origin} that is neither allowed nor the server's own (a browser sends simple
 * requests without a preflight, so refusing only preflights would still let any page run generations).
 */
final class CorsPolicy {
    /** Always offered; a preflight's own requested headers are added. */
    private static final String DEFAULT_ALLOWED_HEADERS = "Authorization, Content-Type, X-Api-Key, X-Request-Id, "
            + "X-Conversation-Id";
    private static final String EXPOSED_HEADERS = "X-Request-Id, Retry-After";
    /** RFC 9110's token: what a header name may be. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

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

    /** Before every request but preflights: a foreign Origin is refused before anything runs. */
    void refuseForeign(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin != null && !allows(origin) && !sameOrigin(origin, ctx.header("Host"))) {
            throw refused(origin);
        }
    }

    /**
     * The page came from this server: the Origin's host and port are the Host header. A proxy that sends the host
     * without the port (nginx's {@code $host}) still matches on the name.
     */
    static boolean sameOrigin(String origin, String host) {
        int scheme = origin.indexOf("://");
        if (host == null || scheme < 0) {
            return false;
        }
        String authority = origin.substring(scheme + 3);
        if (authority.equalsIgnoreCase(host)) {
            return true;
        }
        boolean hostHasPort = host.lastIndexOf(':') > host.lastIndexOf(']');
        int port = authority.lastIndexOf(':');
        return !hostHasPort && port > authority.lastIndexOf(']') && authority.substring(0, port).equalsIgnoreCase(host);
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
            throw refused(origin);
        }
        ctx.status(204)
                .header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
                .header("Access-Control-Allow-Headers", allowedHeaders(ctx.header("Access-Control-Request-Headers")))
                .header("Access-Control-Max-Age", "600")
                .header("Vary", "Origin, Access-Control-Request-Headers");
    }

    /**
     * Ours and the headers the page asked for (the OpenAI SDKs send their own {@code x-stainless-*} ones): the
     * origin is trusted, so any well-formed header name is fine. Malformed names are left out.
     */
    private static String allowedHeaders(String requested) {
        StringBuilder allowed = new StringBuilder(DEFAULT_ALLOWED_HEADERS);
        Set<String> seen = new HashSet<>();
        for (String name : DEFAULT_ALLOWED_HEADERS.split(", ")) {
            seen.add(name.toLowerCase(Locale.ROOT));
        }
        for (String name : requested == null ? new String[0] : requested.split(",")) {
            String trimmed = name.trim();
            if (TOKEN.matcher(trimmed).matches() && seen.add(trimmed.toLowerCase(Locale.ROOT))) {
                allowed.append(", ").append(trimmed);
            }
        }
        return allowed.toString();
    }

    private static ApiException refused(String origin) {
        return new ApiException(403, "invalid_request_error", "Cross-origin requests from " + origin
                + " are not allowed (see --cors-origins).", null, "cors_origin_not_allowed", null);
    }
}
