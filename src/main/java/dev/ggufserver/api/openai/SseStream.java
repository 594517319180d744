package dev.ggufserver.api.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events on the raw servlet stream: Javalin's {@code ctx.outputStream()} compresses and does not flush,
 * so SSE bypasses it. The 200 and the headers are committed lazily, by the first event or keep-alive, so that
 * anything that fails before stays a plain HTTP error. Writes are synchronized: keep-alives come from a timer
 * thread.
 */
final class SseStream {
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] PING = ": ping\n\n".getBytes(StandardCharsets.UTF_8);

    private final HttpServletResponse response;
    private final ObjectMapper mapper;
    private ServletOutputStream out;

    SseStream(HttpServletResponse response, ObjectMapper mapper) {
        this.response = response;
        this.mapper = mapper;
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

    synchronized void event(Object payload) throws IOException {
        commit();
        byte[] json = mapper.writeValueAsBytes(payload);
        out.write("data: ".getBytes(StandardCharsets.US_ASCII));
        out.write(json);
        out.write('\n');
        out.write('\n');
        out.flush();
    }

    synchronized void ping() throws IOException {
        commit();
        out.write(PING);
        out.flush();
    }

    synchronized void done() throws IOException {
        commit();
        out.write(DONE);
        out.flush();
    }
}
