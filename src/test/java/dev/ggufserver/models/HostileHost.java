package dev.ggufserver.models;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An HTTP/1.1 host on a plain socket that answers exactly what a test scripts: any header, any body, a body that
 * never ends. {@code answer} gets the request (request line and headers) and returns the head to send; the body
 * comes from {@code body} (the client hanging up ends it).
 */
final class HostileHost implements AutoCloseable {
    interface Body {
        void write(OutputStream out) throws IOException;
    }

    /** Request line and headers, as received. */
    final List<List<String>> requests = new CopyOnWriteArrayList<>();
    private final ServerSocket server;

    HostileHost(Function<List<String>, String> answer, Function<List<String>, Body> body) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                            StandardCharsets.ISO_8859_1));
                    List<String> request = new CopyOnWriteArrayList<>();
                    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                        request.add(line);
                    }
                    requests.add(request);
                    OutputStream out = socket.getOutputStream();
                    out.write(answer.apply(request).getBytes(StandardCharsets.ISO_8859_1));
                    body.apply(request).write(out);
                    out.flush();
                } catch (IOException ignored) {
                    // the client hung up, or the test is over
                }
            }
        }, "hostile-host");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getLocalPort() + path;
    }

    int port() {
        return server.getLocalPort();
    }

    /**
     * "GGUF" and then zeros: 64 MB, far more than the tests accept, yet bounded, so that a downloader without
     * limits fails the test instead of filling the disk.
     */
    static Body longGguf() {
        return out -> {
            out.write(new byte[] {'G', 'G', 'U', 'F'});
            byte[] zeros = new byte[1 << 16];
            for (int i = 0; i < 1024; i++) {
                out.write(zeros);
            }
        };
    }

    static Body nothing() {
        return out -> { };
    }

    /** The value of a header in a request, or null. */
    static String header(List<String> request, String name) {
        return request.stream().filter(l -> l.regionMatches(true, 0, name + ":", 0, name.length() + 1))
                .map(l -> l.substring(name.length() + 1).trim()).findFirst().orElse(null);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
