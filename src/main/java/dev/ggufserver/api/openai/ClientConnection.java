package dev.ggufserver.api.openai;

import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells whether the client of a request has closed its connection, while our handler still computes.
 *
 * <p>Jetty does not read the socket while a handler runs, so none of its listeners fire when a client leaves a
 * non-streamed request; polling the connection's {@link EndPoint#fill} for end-of-stream does notice it within a
 * few milliseconds (HTTP/1.1, after the request body was read). A streamed request also learns it from a failed
 * write.
 *
 * <p>A probe can read the first byte of a request the client pipelined behind this one. That byte is handed back to
 * Jetty's connection ({@link Connection.UpgradeTo#onUpgradeTo}, which appends to its request buffer) and probing
 * stops: a client that sends more is evidently still there, and Jetty parses the next request when this one ends.
 */
final class ClientConnection {
    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);
    private static volatile boolean warnedNoEndPoint;

    private final EndPoint endPoint;
    private final ByteBuffer probe = ByteBuffer.allocate(1).flip();
    private volatile boolean closed;
    /** Set once bytes arrived or the request is done: fill must never run under Jetty after that. */
    private boolean probing;

    private ClientConnection(EndPoint endPoint) {
        this.endPoint = endPoint;
        this.probing = endPoint != null && endPoint.getConnection() instanceof Connection.UpgradeTo;
    }

    static ClientConnection of(HttpServletRequest request) {
        EndPoint endPoint = null;
        try {
            ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(request);
            if (jetty != null) {
                endPoint = jetty.getConnectionMetaData().getConnection().getEndPoint();
            }
        } catch (RuntimeException e) {
            log.debug("No Jetty endpoint to probe", e);
        }
        if (endPoint == null && !warnedNoEndPoint) {
            warnedNoEndPoint = true;
            log.warn("Cannot watch client connections on this server: clients that leave a non-streamed request "
                    + "are noticed only when the answer is written");
        }
        return new ClientConnection(endPoint);
    }

    /** True once the client has closed the connection; cheap enough to ask for every token. */
    synchronized boolean closed() {
        if (closed || !probing) {
            return closed;
        }
        try {
            probe.clear().flip(); // empty, with room for one byte
            if (!endPoint.isOpen()) {
                closed = true;
            } else {
                int read = endPoint.fill(probe);
                if (read < 0) {
                    closed = true;
                } else if (read > 0) {
                    probing = false;
                    ((Connection.UpgradeTo) endPoint.getConnection()).onUpgradeTo(probe);
                    log.debug("The client sent the next request early; it is served after this one");
                }
            }
        } catch (IOException e) {
            closed = true;
        }
        return closed;
    }

    void markClosed() {
        closed = true;
    }

    /** The generation is over: Jetty owns the connection again, so no probe may read from it any more. */
    synchronized void stopProbing() {
        probing = false;
    }
}
