package dev.ggufserver.api.openai;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;

/**
 * Tells whether the client of a request has closed its connection, while our handler still computes.
 *
 * <p>Jetty does not read the socket while a handler runs, so none of its listeners fire when a client leaves a
 * non-streamed request; polling the connection's {@link EndPoint#fill} for end-of-stream does notice it within a
 * few milliseconds (HTTP/1.1, after the request body was read). A streamed request also learns it from a failed
 * write.
 */
final class ClientConnection {
    private final EndPoint endPoint;
    private final ByteBuffer probe = ByteBuffer.allocate(1).flip();
    private volatile boolean closed;

    private ClientConnection(EndPoint endPoint) {
        this.endPoint = endPoint;
    }

    static ClientConnection of(HttpServletRequest request) {
        EndPoint endPoint = null;
        try {
            ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(request);
            if (jetty != null) {
                endPoint = jetty.getConnectionMetaData().getConnection().getEndPoint();
            }
        } catch (RuntimeException ignored) {
            // not a Jetty request (never in production): no probing
        }
        return new ClientConnection(endPoint);
    }

    /** True once the client has closed the connection; cheap enough to ask for every token. */
    synchronized boolean closed() {
        if (closed || endPoint == null) {
            return closed;
        }
        try {
            probe.clear().flip(); // empty, with room for one byte
            if (!endPoint.isOpen() || endPoint.fill(probe) < 0) {
                closed = true;
            }
        } catch (IOException e) {
            closed = true;
        }
        return closed;
    }

    void markClosed() {
        closed = true;
    }
}
