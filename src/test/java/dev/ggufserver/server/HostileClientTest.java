package dev.ggufserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.support.Await;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RawHttp;
import dev.ggufserver.support.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Attacks on the HTTP layer (raw sockets where a well-behaved client could not send them): each is answered. */
class HostileClientTest {
    private static final String CHAT = "/v1/chat/completions";
    private static final String HI = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static FakeEngine engine() {
        return new FakeEngine(4096, 2).script("</think>ok");
    }

    private static HttpOptions limits(Duration idleTimeout, int maxConnections) {
        return HttpOptions.defaults().withLimits(HttpOptions.DEFAULT_MAX_BODY_BYTES, 100, 100_000, 16_384,
                idleTimeout, maxConnections);
    }

    private static int port(TestServer server) {
        return RawHttp.portOf(server.url());
    }

    /** Writes {@code request} on a new socket and reads until the server closes it. */
    private static String exchange(TestServer server, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port(server))) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Writes {@code request} on a new socket and reads one response, framed by its Content-Length. */
    private static String exchangeKeepingAlive(TestServer server, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port(server))) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.append((char) b);
            }
            java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)")
                    .matcher(head);
            byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : new byte[0];
            return head + new String(body, StandardCharsets.UTF_8);
        }
    }

    /** The OpenAI error in a raw response: the JSON object of its body. */
    private static JsonNode error(String response) throws IOException {
        String body = response.substring(response.indexOf("\r\n\r\n") + 4);
        return JSON.readTree(body.substring(body.indexOf('{'), body.lastIndexOf('}') + 1)).get("error");
    }

    private static String head(String response) {
        return response.substring(0, Math.max(0, response.indexOf("\r\n\r\n"))).toLowerCase();
    }

    private static Http.Response send(TestServer server, String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(15))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Http.Response(r.statusCode(), r.body(), r);
    }

    @Test
    void aRequestPipelinedDuringAGenerationIsAnsweredAfterIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeEngine engine = new FakeEngine(4096, 2).script("a", "b", "c").holdBeforePiece(1, release);
        try (TestServer server = TestServer.serving(engine, HttpOptions.defaults());
             Socket socket = new Socket("127.0.0.1", port(server))) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            byte[] body = "{\"prompt\":\"ping\",\"max_tokens\":5}".getBytes(StandardCharsets.UTF_8);
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            assertThat(engine.started.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
            // the next request arrives while the first generates: the departure probe at the next piece sees it
            out.write("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            release.countDown();

            String both = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int second = both.indexOf("HTTP/1.1 ", 1);
            assertThat(both).startsWith("HTTP/1.1 200");
            assertThat(second).as(both).isPositive();
            assertThat(both.substring(0, second)).contains("\"text\":\"abc\"");
            assertThat(both.substring(second)).startsWith("HTTP/1.1 200").contains("fake-model");
            assertThat(engine.cancellations.get()).isZero();
        }
    }

    @Test
    void slowBodiesOnAlmostEveryConnectionStillLeaveAThreadForHealth() throws Exception {
        int attackers = 270; // more than Javalin's default pool of 250 threads, fewer than --max-connections
        try (TestServer server = TestServer.serving(engine(), limits(Duration.ofSeconds(30), 300))) {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < attackers; i++) {
                    Socket s = new Socket("127.0.0.1", port(server));
                    s.getOutputStream().write(("POST " + CHAT + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            + "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{")
                            .getBytes(StandardCharsets.US_ASCII));
                    sockets.add(s); // ...and the body stalls: each request holds a thread reading it
                }
                QueuedThreadPool pool = (QueuedThreadPool) server.jetty().getThreadPool();
                Await.until("the slow bodies to hold threads", Duration.ofSeconds(30),
                        () -> pool.getBusyThreads() >= 240);
                Http.Response health = send(server, "GET", "/health", null);
                assertThat(health.status()).isEqualTo(200);
                assertThat(pool.getMaxThreads()).isGreaterThan(300);
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aBodyTrickledTooSlowlyIsCutOffWith408InOpenAiShape() throws Exception {
        try (TestServer server = TestServer.serving(engine(), limits(Duration.ofSeconds(30), 64));
             Socket socket = new Socket("127.0.0.1", port(server))) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(("POST " + CHAT + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            try {
                // a byte every 100 ms: fast enough for the 30 s idle timeout never to fire, far below 1 KiB/s
                while (in.available() == 0 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20)) {
                    out.write(' ');
                    out.flush();
                    Thread.sleep(100); // the client's pace, the behaviour under test
                }
            } catch (IOException closedByTheServer) {
                // the server answered and closed while we were still sending
            }
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 408");
            assertThat(head(answer)).contains("content-type: application/json").contains("x-content-type-options");
            assertThat(error(answer).get("code").asText()).isEqualTo("request_timeout");
            assertThat(error(answer).get("message").asText()).contains("too slowly");
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
            assertThat(send(server, "POST", CHAT, HI, "Content-Type", "application/json").status()).isEqualTo(200);
        }
    }

    @Test
    void randomMethodNamesDoNotAddMetricSeries() throws Exception {
        try (TestServer server = TestServer.serving(engine(), HttpOptions.defaults())) {
            Random random = new Random(7);
            List<Integer> statuses = new ArrayList<>();
            String first = "X" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36).toUpperCase();
            statuses.add(send(server, first, "/v1/models", null).status());
            long before = series(server);
            for (int i = 0; i < 49; i++) {
                String method = "M" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36).toUpperCase();
                statuses.add(send(server, method, "/v1/models", null).status());
            }
            assertThat(statuses).containsOnly(405);
            assertThat(series(server)).isEqualTo(before);
            assertThat(server.metrics().scrape()).contains("method=\"OTHER\"").doesNotContain(first);
        }
    }

    private static long series(TestServer server) {
        return server.metrics().scrape().lines().filter(l -> l.startsWith("gguf_http_requests_total{")).count();
    }

    @Test
    void aWebSocketUpgradeIsRefusedWithoutCreatingASession() throws Exception {
        try (TestServer server = TestServer.serving(engine(), HttpOptions.defaults().withApiKeys(List.of("k")))) {
            String answer = exchangeKeepingAlive(server, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
            assertThat(answer).startsWith("HTTP/1.1 404");
            assertThat(head(answer)).doesNotContain("set-cookie").contains("content-type: application/json")
                    .contains("x-content-type-options: nosniff").contains("x-frame-options: deny");
            assertThat(error(answer).get("code").asText()).isEqualTo("not_found");
            assertThat(server.jetty().getDescendant(ServletContextHandler.class).getSessionHandler()
                    .getSessionsCreated()).isZero();
            // curl --http2's h2c offer is no WebSocket: it is simply answered over HTTP/1.1
            assertThat(exchange(server, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void postsWithoutAJsonContentTypeAre415() throws Exception {
        FakeEngine engine = engine();
        try (TestServer server = TestServer.serving(engine, HttpOptions.defaults())) {
            for (String type : List.of("text/plain", "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x", "application/xml", "application/json; charset=latin1")) {
                Http.Response r = send(server, "POST", CHAT, HI, "Content-Type", type);
                assertThat(r.status()).as(type).isEqualTo(415);
                assertThat(r.json().get("error").get("code").asText()).isEqualTo("unsupported_media_type");
                assertThat(r.json().get("error").get("type").asText()).isEqualTo("invalid_request_error");
            }
            assertThat(send(server, "POST", "/v1/completions", "{\"prompt\":\"hi\"}").status()).as("none")
                    .isEqualTo(415);
            assertThat(engine.generations.get()).isZero();
            for (String type : List.of("application/json", "application/json; charset=utf-8",
                    "Application/JSON;charset=\"UTF-8\"", "application/vnd.example+json")) {
                assertThat(send(server, "POST", CHAT, HI, "Content-Type", type).status()).as(type).isEqualTo(200);
            }
        }
    }

    @Test
    void aRequestFromAForeignOriginIsRefusedButTheServersOwnOriginIsNot() throws Exception {
        FakeEngine engine = engine();
        HttpOptions options = HttpOptions.defaults().withCorsOrigins(List.of("https://app.example"));
        try (TestServer server = TestServer.serving(engine, options)) {
            String json = "application/json";
            for (String origin : List.of("http://evil.example", "null", "http://127.0.0.1:1",
                    "http://localhost:" + port(server))) {
                Http.Response r = send(server, "POST", CHAT, HI, "Content-Type", json, "Origin", origin);
                assertThat(r.status()).as(origin).isEqualTo(403);
                assertThat(r.json().get("error").get("code").asText()).isEqualTo("cors_origin_not_allowed");
            }
            assertThat(send(server, "GET", "/v1/models", null, "Origin", "http://evil.example").status())
                    .isEqualTo(403);
            assertThat(engine.generations.get()).isZero();

            assertThat(send(server, "POST", CHAT, HI, "Content-Type", json, "Origin", server.url()).status())
                    .as("the chat page's own origin").isEqualTo(200);
            Http.Response allowed = send(server, "POST", CHAT, HI, "Content-Type", json, "Origin",
                    "https://app.example");
            assertThat(allowed.status()).isEqualTo(200);
            assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
            assertThat(send(server, "POST", CHAT, HI, "Content-Type", json).status()).as("no Origin: no browser")
                    .isEqualTo(200);
        }
        assertThat(CorsPolicy.sameOrigin("https://ggufs.example", "ggufs.example")).isTrue();
        assertThat(CorsPolicy.sameOrigin("http://localhost:8080", "localhost")).as("a proxy's $host").isTrue();
        assertThat(CorsPolicy.sameOrigin("http://localhost:8080", "localhost:8081")).isFalse();
        assertThat(CorsPolicy.sameOrigin("http://evil.example", "localhost:8080")).isFalse();
    }

    @Test
    void onLoopbackOnlyLoopbackHostNamesAreAnswered() throws Exception {
        try (TestServer server = TestServer.serving(engine(), HttpOptions.defaults())) {
            int port = port(server);
            for (String host : List.of("evil.example", "evil.example:" + port, "127.0.0.1.evil.example",
                    "localhost.evil.example:" + port, "10.0.0.1:" + port)) {
                String answer = exchange(server, "GET /v1/models HTTP/1.1\r\nHost: " + host
                        + "\r\nConnection: close\r\n\r\n");
                assertThat(answer).as(host).startsWith("HTTP/1.1 403");
                assertThat(head(answer)).contains("x-content-type-options: nosniff");
                assertThat(error(answer).get("code").asText()).isEqualTo("host_not_allowed");
            }
            for (String host : List.of("localhost", "localhost:" + port, "127.0.0.1:" + port, "127.1.2.3",
                    "[::1]:" + port, "app.localhost:" + port)) {
                assertThat(exchange(server, "GET /v1/models HTTP/1.1\r\nHost: " + host
                        + "\r\nConnection: close\r\n\r\n")).as(host).startsWith("HTTP/1.1 200");
            }
        }
        assertThat(RequestChecks.isLoopbackName("127.0.0.256")).isFalse();
        assertThat(RequestChecks.isLoopbackName("[::2]:80")).isFalse();
        assertThat(RequestChecks.isLoopbackName("localhost:80:80")).isFalse();
    }

    @Test
    void aDeclaredBodyAboveTheLimitIs413BeforeContinue() throws Exception {
        try (TestServer server = TestServer.serving(engine(), limits(Duration.ofSeconds(30), 64))) {
            for (String expect : List.of("Expect: 100-continue\r\n", "")) {
                String answer = exchange(server, "POST " + CHAT + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\n" + expect + "Content-Length: 99999999999\r\n\r\n");
                assertThat(answer).as(expect).startsWith("HTTP/1.1 413").doesNotContain("100 Continue");
                assertThat(error(answer).get("code").asText()).isEqualTo("request_too_large");
            }
        }
    }

    @Test
    void jettysOwnStatusesAreInOpenAiShape() throws Exception {
        try (TestServer server = TestServer.serving(engine(), HttpOptions.defaults())) {
            String big = "a".repeat(20_000);
            record Case(String request, int status) {
            }
            for (Case c : List.of(
                    new Case("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + big + "\r\n\r\n", 431),
                    new Case("GET /health?" + big + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
                    new Case("GET /health HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 426),
                    new Case("GET\u0001 /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
                    new Case("POST " + CHAT + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
                            + "Content-Length: 3\r\n\r\n{}", 400))) {
                String answer = exchange(server, c.request());
                assertThat(answer).as(c.request().substring(0, 20)).startsWith("HTTP/1.1 " + c.status());
                assertThat(head(answer)).contains("content-type: application/json")
                        .contains("x-content-type-options: nosniff");
                assertThat(error(answer).get("message").asText()).isNotBlank();
                assertThat(error(answer).get("type").asText()).isEqualTo(c.status() >= 500 ? "server_error"
                        : "invalid_request_error");
            }
        }
    }

    @Test
    void aClientThatLeavesMidBodyIsOneDebugLine() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger httpServer = (Logger) LoggerFactory.getLogger(HttpServer.class);
        Level level = httpServer.getLevel();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        httpServer.setLevel(Level.DEBUG);
        try (TestServer server = TestServer.serving(engine(), HttpOptions.defaults())) {
            try (Socket socket = new Socket("127.0.0.1", port(server))) {
                socket.getOutputStream().write(("POST " + CHAT + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
                        .getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
            } // closed mid-body
            Await.until("the server to notice", Duration.ofSeconds(15), () -> List.copyOf(logs.list).stream()
                    .anyMatch(e -> e.getLoggerName().equals(HttpServer.class.getName())));
            List<ILoggingEvent> events = List.copyOf(logs.list);
            assertThat(events).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).isEmpty();
            assertThat(events).filteredOn(e -> e.getLoggerName().equals(HttpServer.class.getName()))
                    .singleElement().satisfies(e -> {
                        assertThat(e.getLevel()).isEqualTo(Level.DEBUG);
                        assertThat(e.getThrowableProxy()).isNull();
                        assertThat(e.getFormattedMessage()).contains("Client left");
                    });
        } finally {
            httpServer.setLevel(level);
            root.detachAppender(logs);
        }
    }

    @Test
    void idleConnectionsAtTheLimitAreClosedSoonSoOthersGetIn() throws Exception {
        try (TestServer server = TestServer.serving(engine(), limits(Duration.ofSeconds(30), 2));
             Socket first = new Socket("127.0.0.1", port(server));
             Socket second = new Socket("127.0.0.1", port(server))) {
            Await.until("the limit to engage", Duration.ofSeconds(10), () -> !server.accepting());
            // neither socket ever sends a byte; the idle timeout is 30 s, the health check gives up after 15
            assertThat(send(server, "GET", "/health", null).status()).isEqualTo(200);
            assertThat(first.getInputStream().read()).as("closed by the server").isEqualTo(-1);
        }
    }

    @Test
    void aServerAtItsConnectionLimitStillStopsAtOnce() throws Exception {
        for (int round = 0; round < 5; round++) {
            TestServer server = TestServer.serving(engine(), limits(Duration.ofSeconds(30), 2));
            try (Socket silent = new Socket("127.0.0.1", port(server))) {
                assertThat(send(server, "GET", "/health", null).status()).isEqualTo(200); // a keep-alive connection
                Await.until("the limit to engage", Duration.ofSeconds(10), () -> !server.accepting());
                long start = System.nanoTime();
                server.close(); // the silent socket is closed first; leaving the limit must not delay the rest
                assertThat(System.nanoTime() - start).as("round %d", round)
                        .isLessThan(TimeUnit.SECONDS.toNanos(3));
            }
        }
    }

    @Test
    void aPreflightFromAnAllowedOriginAllowsTheHeadersItAsksFor() throws Exception {
        HttpOptions options = HttpOptions.defaults().withCorsOrigins(List.of("https://app.example"));
        try (TestServer server = TestServer.serving(engine(), options)) {
            Http.Response r = send(server, "OPTIONS", CHAT, null, "Origin", "https://app.example",
                    "Access-Control-Request-Method", "POST",
                    "Access-Control-Request-Headers", "authorization,content-type,x-stainless-os,x-stainless-lang,"
                            + "bad header,x-(bad)");
            assertThat(r.status()).isEqualTo(204);
            assertThat(r.header("Access-Control-Allow-Headers")).contains("x-stainless-os", "x-stainless-lang",
                    "Authorization", "Content-Type").doesNotContain("bad").doesNotContain("authorization,");
            assertThat(r.header("Vary")).contains("Origin").contains("Access-Control-Request-Headers");
        }
    }
}
