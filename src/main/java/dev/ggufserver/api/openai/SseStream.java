package dev.ggufserver.api.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events on the raw servlet stream: Javalin's {@code ctx.outputStream()} compresses and does not flush,
 * so SSE bypasses it. The 200 and the headers are committed lazily, by the first event or keep-alive, so that
 * anything that fails before stays a plain HTTP error. Writes are synchronized: keep-alives come from a timer
 * thread.
 *
 * <p>Events are buffered until {@link #flush()}: the caller flushes once per engine step, and the last events go
 * out with the end of the response, so a short answer costs a few writes to the socket, not one per event.
 */
final class SseStream {
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PING = ": ping\n\n".getBytes(StandardCharsets.US_ASCII);

    private final HttpServletResponse response;
    private final ObjectMapper mapper;
    private final ByteArrayOutputStream frame = new ByteArrayOutputStream(512);
    private ServletOutputStream out;

    private static final String ATTRIBUTE = "gguf.sse-stream";

    SseStream(HttpServletResponse response, ObjectMapper mapper) {
        this.response = response;
        this.mapper = mapper;
    }

    /** The request's stream: one per response, whoever writes first (pings while a model loads, then the answer). */
    static SseStream of(io.javalin.http.Context ctx, ObjectMapper mapper) {
        SseStream sse = ctx.attribute(ATTRIBUTE);
        if (sse == null) {
            sse = new SseStream(ctx.res(), mapper);
            ctx.attribute(ATTRIBUTE, sse);
        }
        return sse;
    }

    synchronized boolean committed() {
        return out != null;
    }

    private void commit() throws IOException {
        if (out != null) {
            return;
        }
        response.setStatus(200);
        response.setContentType("text/event-stream; charset=utf-8");
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("X-Accel-Buffering", "no"); // nginx: do not buffer the stream
        out = response.getOutputStream();
    }

    /** One {@code data:} event, buffered. */
    synchronized void event(Object payload) throws IOException {
        commit();
        frame.reset();
        frame.write(DATA);
        mapper.writeValue(frame, payload);
        frame.write(END);
        frame.writeTo(out);
    }

    /** Sends everything buffered. */
    synchronized void flush() throws IOException {
        commit();
        out.flush();
    }

    /** A comment that keeps proxies and clients from timing out, sent at once (with anything buffered). */
    synchronized void ping() throws IOException {
        commit();
        out.write(PING);
        out.flush();
    }

    /** The last event, buffered: the end of the response sends it. */
    synchronized void done() throws IOException {
        commit();
        out.write(DONE);
    }
}
