package dev.ggufserver.server;

import io.javalin.http.Context;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.slf4j.MDC;

/**
 * Every response carries an {@code X-Request-Id}: the client's own when it sent a sane one (so a proxy's id
 * follows the request), else a new random one. It is in the logging context (MDC "requestId") while the request
 * is handled, so every log line of the request shows it.
 */
final class RequestIds {
    static final String HEADER = "X-Request-Id";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private RequestIds() {
    }

    static void assign(Context ctx) {
        String given = ctx.header(HEADER);
        String id = given != null && SANE.matcher(given).matches() ? given : newId();
        ctx.header(HEADER, id);
        MDC.put("requestId", id);
    }

    static void clear(Context ctx) {
        MDC.remove("requestId");
    }

    static String newId() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
