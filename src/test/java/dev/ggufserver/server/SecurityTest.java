package dev.ggufserver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** API keys, CORS, limits, slow clients, headers: each gives its status in OpenAI's shape, and service goes on. */
class SecurityTest {
    private static final String CHAT = "/v1/chat/completions";
    private static final String HI = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static FakeEngine engine() {
        return new FakeEngine(4096, 2).script("</think>ok");
    }

    private static Http.Response send(TestServer server, String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        boolean typed = false;
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
            typed |= headers[i].equalsIgnoreCase("Content-Type");
        }
        if (body != null && !typed) {
            b.header("Content-Type", "application/json"); // what every client sends; the API takes JSON only
        }
        HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Http.Response(r.statusCode(), r.body(), r);
    }

    private static void assertStillServes(TestServer server, String... auth) throws Exception {
        assertThat(send(server, "POST", CHAT, HI, auth).status()).as("serves right after").isEqualTo(200);
    }

    @Test
    void apiKeysGuardEverythingButTheHealthCheckAndThePage() throws Exception {
        HttpOptions options = HttpOptions.defaults().withApiKeys(List.of("key-one", "key-two"));
        try (TestServer server = TestServer.serving(engine(), options)) {
            Http.Response missing = send(server, "POST", CHAT, HI);
            assertThat(missing.status()).isEqualTo(401);
            assertThat(missing.header("WWW-Authenticate")).startsWith("Bearer");
            assertThat(missing.json().get("error").get("code").asText()).isEqualTo("missing_api_key");
            assertThat(missing.json().get("error").get("type").asText()).isEqualTo("invalid_request_error");

            Http.Response wrong = send(server, "POST", CHAT, HI, "Authorization", "Bearer key-three");
            assertThat(wrong.status()).isEqualTo(401);
            assertThat(wrong.json().get("error").get("code").asText()).isEqualTo("invalid_api_key");
            assertThat(send(server, "POST", CHAT, HI, "Authorization", "Bearer key-on").status()).isEqualTo(401);
            assertThat(send(server, "POST", CHAT, HI, "X-Api-Key", "key-one ").status()).isEqualTo(200);
            assertThat(send(server, "POST", CHAT, HI, "Authorization", "Bearer key-one").status()).isEqualTo(200);
            assertThat(send(server, "POST", CHAT, HI, "authorization", "bearer key-two").status()).isEqualTo(200);
            assertThat(send(server, "GET", "/v1/models", null).status()).isEqualTo(401);
            assertThat(send(server, "GET", "/metrics", null).status()).isEqualTo(401);
            assertThat(send(server, "GET", "/metrics", null, "X-Api-Key", "key-two").status()).isEqualTo(200);
            for (String open : List.of("/health", "/", "/app.js", "/app.css", "/webjars/marked/17.0.1/lib/marked.umd.js")) {
                assertThat(send(server, "GET", open, null).status()).as(open).isEqualTo(200);
            }

            OpenAIClient right = OpenAIOkHttpClient.builder().baseUrl(server.url() + "/v1").apiKey("key-two")
                    .maxRetries(0).build();
            assertThat(right.chat().completions().create(ChatCompletionCreateParams.builder().model("m")
                    .addUserMessage("hi").build()).choices().get(0).message().content()).contains("ok");
            OpenAIClient bad = OpenAIOkHttpClient.builder().baseUrl(server.url() + "/v1").apiKey("nope")
                    .maxRetries(0).build();
            assertThatThrownBy(() -> bad.chat().completions().create(ChatCompletionCreateParams.builder()
                    .model("m").addUserMessage("hi").build())).isInstanceOf(UnauthorizedException.class);
        }
    }

    @Test
    void corsIsOffByDefaultAndFollowsTheAllowList() throws Exception {
        try (TestServer closed = TestServer.serving(engine(), HttpOptions.defaults())) {
            Http.Response preflight = send(closed, "OPTIONS", CHAT, null, "Origin", "https://app.example",
                    "Access-Control-Request-Method", "POST");
            assertThat(preflight.status()).isEqualTo(403);
            assertThat(preflight.json().get("error").get("code").asText()).isEqualTo("cors_origin_not_allowed");
            assertThat(send(closed, "POST", CHAT, HI, "Origin", "https://app.example")
                    .header("Access-Control-Allow-Origin")).isNull();
        }
        HttpOptions options = HttpOptions.defaults().withCorsOrigins(List.of("https://app.example"))
                .withApiKeys(List.of("k"));
        try (TestServer server = TestServer.serving(engine(), options)) {
            Http.Response allowed = send(server, "OPTIONS", CHAT, null, "Origin", "https://app.example",
                    "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization");
            assertThat(allowed.status()).isEqualTo(204);
            assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
            assertThat(allowed.header("Access-Control-Allow-Methods")).contains("POST");
            assertThat(allowed.header("Access-Control-Allow-Headers")).contains("Authorization");

            Http.Response denied = send(server, "OPTIONS", CHAT, null, "Origin", "https://evil.example",
                    "Access-Control-Request-Method", "POST");
            assertThat(denied.status()).isEqualTo(403);
            assertThat(denied.header("Access-Control-Allow-Origin")).isNull();

            Http.Response simple = send(server, "POST", CHAT, HI, "Origin", "https://app.example",
                    "Authorization", "Bearer k");
            assertThat(simple.status()).isEqualTo(200);
            assertThat(simple.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
            assertThat(simple.header("Access-Control-Expose-Headers")).contains("X-Request-Id");
            assertThat(send(server, "POST", CHAT, HI, "Origin", "https://evil.example", "Authorization", "Bearer k")
                    .header("Access-Control-Allow-Origin")).isNull();
        }
    }

    @Test
    void eachLimitHasItsStatusAndMessage() throws Exception {
        HttpOptions options = HttpOptions.defaults().withLimits(2048, 3, 100, 2048, Duration.ofSeconds(30), 64);
        try (TestServer server = TestServer.serving(engine(), options)) {
            Http.Response body = send(server, "POST", CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\""
                    + "x".repeat(3000) + "\"}]}");
            assertThat(body.status()).isEqualTo(413);
            assertThat(body.json().get("error").get("code").asText()).isEqualTo("request_too_large");
            assertStillServes(server);

            Http.Response messages = send(server, "POST", CHAT, "{\"messages\":[" + String.join(",",
                    java.util.Collections.nCopies(4, "{\"role\":\"user\",\"content\":\"a\"}")) + "]}");
            assertThat(messages.status()).isEqualTo(400);
            assertThat(messages.json().get("error").get("code").asText()).isEqualTo("too_many_messages");
            assertThat(messages.json().get("error").get("message").asText()).contains("at most 3");
            assertStillServes(server);

            Http.Response chars = send(server, "POST", CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\""
                    + "y".repeat(150) + "\"}]}");
            assertThat(chars.status()).isEqualTo(400);
            assertThat(chars.json().get("error").get("code").asText()).isEqualTo("prompt_too_long");
            assertThat(chars.json().get("error").get("param").asText()).isEqualTo("messages");
            assertStillServes(server);

            Http.Response header = send(server, "POST", CHAT, HI, "X-Padding", "z".repeat(4000));
            assertThat(header.status()).isEqualTo(431);
            assertThat(header.header("Content-Type")).startsWith("application/json");
            assertThat(header.json().get("error").get("message").asText()).contains("headers are too large");
            assertStillServes(server);
        }
    }

    @Test
    void aSlowClientIsCutOffButALongGenerationIsNot() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeEngine slow = new FakeEngine(4096, 2).script("</think>eventually").holdBeforeFirstPiece(release);
        HttpOptions options = HttpOptions.defaults().withLimits(HttpOptions.DEFAULT_MAX_BODY_BYTES, 100, 100_000,
                16_384, Duration.ofMillis(300), 64);
        try (TestServer server = TestServer.serving(slow, options)) {
            try (Socket client = new Socket("127.0.0.1", Integer.parseInt(server.url().replaceAll(".*:", "")))) {
                client.setSoTimeout(15_000);
                OutputStream out = client.getOutputStream();
                out.write(("POST " + CHAT + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 100\r\n\r\n{\"messages\":").getBytes(StandardCharsets.US_ASCII));
                out.flush(); // ...and the rest of the body never comes
                InputStream in = client.getInputStream();
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8); // once the server gives up
                assertThat(text).startsWith("HTTP/1.1 408 ");
                String head = text.substring(0, text.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
                assertThat(head).contains("content-type: application/json").contains("x-content-type-options");
                com.fasterxml.jackson.databind.JsonNode error = new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(text.substring(text.indexOf("\r\n\r\n") + 4)).get("error");
                assertThat(error.get("code").asText()).isEqualTo("request_timeout");
                assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
                assertThat(error.get("message").asText()).contains("too long to arrive");
            }
            // a generation may think for longer than the idle timeout: the connection is busy, not idle
            java.util.concurrent.CompletableFuture<Http.Response> pending =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> server.http().post(CHAT, HI));
            assertThat(slow.started.tryAcquire(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            Thread.sleep(1_000); // deliberately longer than the 300 ms idle timeout: this is the behaviour under test
            release.countDown();
            Http.Response answer = pending.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.body()).contains("eventually");
        }
    }

    @Test
    void beyondMaxConnectionsNewOnesWaitUntilOneCloses() throws Exception {
        HttpOptions options = HttpOptions.defaults().withLimits(HttpOptions.DEFAULT_MAX_BODY_BYTES, 100, 100_000,
                16_384, Duration.ofSeconds(30), 2);
        try (TestServer server = TestServer.serving(engine(), options)) {
            int port = Integer.parseInt(server.url().replaceAll(".*:", ""));
            Socket first = new Socket("127.0.0.1", port);
            try (Socket second = new Socket("127.0.0.1", port)) {
                dev.ggufserver.support.Await.until("the limit to engage", Duration.ofSeconds(10),
                        () -> !server.accepting());
                java.util.concurrent.CompletableFuture<Http.Response> third =
                        java.util.concurrent.CompletableFuture.supplyAsync(() -> server.http().post(CHAT, HI));
                assertThat(server.accepting()).isFalse();
                first.close(); // one leaves: the waiting connection is accepted and served
                assertThat(third.get(30, java.util.concurrent.TimeUnit.SECONDS).status()).isEqualTo(200);
            }
        }
    }

    @Test
    void listeningBeyondLoopbackWithoutAKeyIsWarnedAbout() {
        assertThat(GgufServer.openWithoutKeyWarning("0.0.0.0", List.of())).get().asString()
                .contains("without an API key").contains("--api-key");
        assertThat(GgufServer.openWithoutKeyWarning("0.0.0.0", List.of("k"))).isEmpty();
        assertThat(GgufServer.openWithoutKeyWarning("127.0.0.1", List.of())).isEmpty();
        assertThat(GgufServer.openWithoutKeyWarning("localhost", List.of())).isEmpty();
    }

    @Test
    void everyResponseHasARequestIdAndThePageAStrictPolicy() throws Exception {
        try (TestServer server = TestServer.serving(engine(), HttpOptions.defaults())) {
            Http.Response page = send(server, "GET", "/", null);
            String csp = page.header("Content-Security-Policy");
            java.util.Map<String, String> directives = new java.util.HashMap<>();
            for (String d : csp.split(";")) {
                String[] parts = d.strip().split(" ", 2);
                directives.put(parts[0], parts.length > 1 ? parts[1] : "");
            }
            // no inline script or style element; only style attributes (KaTeX lays formulas out with them)
            assertThat(directives).containsEntry("script-src", "'self'").containsEntry("style-src", "'self'")
                    .containsEntry("style-src-attr", "'unsafe-inline'").containsEntry("frame-ancestors", "'none'");
            assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");

            for (Http.Response r : List.of(page, send(server, "POST", CHAT, HI), send(server, "GET", "/nope", null),
                    send(server, "POST", CHAT, "{"))) {
                assertThat(r.header("X-Request-Id")).as(r.body()).matches("[0-9a-f]{16}");
                assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
            }
            assertThat(send(server, "GET", "/health", null, "X-Request-Id", "proxy-42").header("X-Request-Id"))
                    .isEqualTo("proxy-42");
            assertThat(send(server, "GET", "/health", null, "X-Request-Id", "<script>").header("X-Request-Id"))
                    .matches("[0-9a-f]{16}");
        }
    }

    @Test
    void promptsAndAnswersAreLoggedOnlyWhenAskedFor() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        String secret = "{\"messages\":[{\"role\":\"user\",\"content\":\"my secret diary\"}]}";
        try {
            try (TestServer quiet = TestServer.serving(engine(), HttpOptions.defaults())) {
                send(quiet, "POST", CHAT, secret);
            }
            assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains("secret diary"));

            try (TestServer loud = TestServer.serving(engine(), HttpOptions.defaults().withLogPrompts(true))) {
                send(loud, "POST", CHAT, secret);
            }
            assertThat(logs.list).anyMatch(e -> e.getFormattedMessage().contains("secret diary")
                    && e.getMDCPropertyMap().containsKey("requestId"));
            assertThat(logs.list).anyMatch(e -> e.getFormattedMessage().startsWith("Answer"));
        } finally {
            root.detachAppender(logs);
        }
    }
}
