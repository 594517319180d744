package dev.ggufserver.server;

import dev.ggufserver.api.openai.ApiException;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks every request passes before its body is read: a loopback server answers only loopback host names (a page
 * that rebinds its own DNS name to 127.0.0.1 sends its own name), a declared body above the limit is refused before
 * {@code 100 Continue}, and the POST endpoints take JSON only, so that a browser must send a CORS preflight first
 * ({@code text/plain} and form posts are "simple requests" that would run a generation without one).
 */
final class RequestChecks {
    private static final Pattern IPV4_LOOPBACK = Pattern.compile("127(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    private final boolean loopbackOnly;
    private final long maxBodyBytes;
    private final Set<String> jsonPaths;

    /**
     * @param listenHost where the server listens; on a loopback address only loopback Host headers are answered
     * @param jsonPaths  the POST endpoints, which take JSON only
     */
    RequestChecks(String listenHost, long maxBodyBytes, Set<String> jsonPaths) {
        this.loopbackOnly = isLoopbackAddress(listenHost);
        this.maxBodyBytes = maxBodyBytes;
        this.jsonPaths = Set.copyOf(jsonPaths);
    }

    private static boolean isLoopbackAddress(String host) {
        try {
            return host != null && InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** A before-handler: the Host header, when the server listens on loopback. */
    void host(Context ctx) {
        String host = ctx.header("Host");
        if (loopbackOnly && host != null && !isLoopbackName(host)) {
            throw new ApiException(403, "invalid_request_error", "This server listens on a loopback address and "
                    + "answers only requests for localhost, 127.0.0.1 or [::1], not '" + shorten(host) + "' "
                    + "(protection against DNS rebinding; listen on another --host to serve other names).", null,
                    "host_not_allowed", null);
        }
    }

    /** localhost, *.localhost, 127.x.y.z or [::1], with or without a port. */
    static boolean isLoopbackName(String hostHeader) {
        String host = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end > 0 && host.substring(1, end).equals("::1") && validPort(host.substring(end + 1));
        }
        int colon = host.indexOf(':');
        if (colon >= 0) {
            if (!validPort(host.substring(colon))) {
                return false;
            }
            host = host.substring(0, colon);
        }
        return host.equals("localhost") || host.endsWith(".localhost") || IPV4_LOOPBACK.matcher(host).matches();
    }

    private static boolean validPort(String rest) {
        return rest.isEmpty() || rest.matches(":\\d{1,5}");
    }

    /** A before-handler: 413 from the declared Content-Length, before anything reads the body. */
    void declaredSize(Context ctx) {
        if (ctx.req().getContentLengthLong() > maxBodyBytes) {
            ctx.header("Connection", "close"); // the body is not read: the connection cannot carry another request
            throw HttpServer.tooLarge();
        }
    }

    /** A before-handler: the POST endpoints take {@code application/json} (or a {@code +json} type) in UTF-8. */
    void json(Context ctx) {
        if (ctx.method() != HandlerType.POST || !jsonPaths.contains(ctx.path())) {
            return;
        }
        String type = ctx.header("Content-Type");
        if (!isJson(type)) {
            throw new ApiException(415, "invalid_request_error", "Send the request body as JSON, with "
                    + "'Content-Type: application/json' (got " + (type == null ? "none" : "'" + shorten(type) + "'")
                    + ").", null, "unsupported_media_type", null);
        }
    }

    static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String[] parts = contentType.split(";");
        String media = parts[0].trim().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json") && !(media.startsWith("application/") && media.endsWith("+json"))) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq < 0) {
                continue;
            }
            String name = parts[i].substring(0, eq).trim();
            String value = parts[i].substring(eq + 1).trim().replace("\"", "");
            if (name.equalsIgnoreCase("charset") && !value.equalsIgnoreCase("utf-8")) {
                return false; // the body is always decoded as UTF-8
            }
        }
        return true;
    }

    private static String shorten(String text) {
        return text.length() <= 100 ? text : text.substring(0, 100) + "…";
    }
}
