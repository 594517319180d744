package dev.ggufserver.support;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A request on a plain socket, so a test decides exactly when the client hangs up. */
public final class RawHttp {
    private RawHttp() {
    }

    /** Sends a chat completion request and returns the open socket (the answer is not read). */
    public static Socket postChat(int port, String body) throws Exception {
        Socket socket = new Socket("127.0.0.1", port);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return socket;
    }

    public static int portOf(String url) {
        return Integer.parseInt(url.replaceAll(".*:", ""));
    }
}
