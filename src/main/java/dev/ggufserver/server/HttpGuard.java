package dev.ggufserver.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.api.openai.ApiException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * In front of Javalin, at Jetty's level: refuses WebSocket upgrades (there is no WebSocket endpoint, and Javalin's
 * upgrade path would create a servlet session for each), and cuts off request bodies that arrive too slowly, so a
 * client trickling a body cannot hold a connection and a thread for as long as it keeps sending a byte now and then.
 */
final class HttpGuard extends Handler.Wrapper {
    private static final ObjectMapper MAPPER = Json.mapper();
    /** The slowest body accepted, after the grace period: a real client sends far faster. */
    static final long MIN_BODY_BYTES_PER_SECOND = 1024;
    /** Time a body may take before the rate counts, for latency and {@code Expect: 100-continue}. */
    static final long BODY_GRACE_NANOS = 2_000_000_000L;

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String upgrade = request.getHeaders().get(HttpHeader.UPGRADE);
        if (upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("websocket")) {
            HttpServer.securityHeaders(response);
            response.getHeaders().put(RequestIds.HEADER, RequestIds.newId());
            writeError(response, callback, ApiException.notFound("WebSocket is not supported ("
                    + request.getMethod() + " " + request.getHttpURI().getPath() + ")", "not_found"));
            return true;
        }
        return super.handle(new RateLimitedBody(request), response, callback);
    }

    /** An OpenAI error body written straight to Jetty's response (no Javalin context exists here). */
    static void writeError(Response response, Callback callback, ApiException error) {
        byte[] json;
        try {
            json = MAPPER.writeValueAsBytes(error.body());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        response.setStatus(error.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(json), callback);
    }

    /** Thrown to the handler reading the body when the body came slower than the minimum rate. */
    static final class BodyTooSlowException extends IOException {
        BodyTooSlowException() {
            super("the request body arrived slower than " + MIN_BODY_BYTES_PER_SECOND + " bytes per second");
        }
    }

    /** Counts body bytes; once past the grace period, a read finding too few of them fails the body. */
    private static final class RateLimitedBody extends Request.Wrapper {
        private long firstRead;
        private boolean reading;
        private long bytes;
        private Content.Chunk failure;

        RateLimitedBody(Request request) {
            super(request);
        }

        @Override
        public Content.Chunk read() {
            if (failure != null) {
                return failure;
            }
            long now = System.nanoTime();
            if (!reading) {
                reading = true;
                firstRead = now;
            } else if (now - firstRead > BODY_GRACE_NANOS
                    && bytes < MIN_BODY_BYTES_PER_SECOND * (now - firstRead - BODY_GRACE_NANOS) / 1_000_000_000L) {
                failure = Content.Chunk.from(new BodyTooSlowException(), true);
                return failure;
            }
            Content.Chunk chunk = super.read();
            if (chunk != null) {
                bytes += chunk.remaining();
            }
            return chunk;
        }
    }
}
