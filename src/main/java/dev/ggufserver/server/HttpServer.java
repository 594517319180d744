package dev.ggufserver.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.api.openai.ApiException;
import dev.ggufserver.api.openai.CompletionHandlers;
import dev.ggufserver.api.openai.ModelsHandler;
import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.web.ChatPage;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.javalin.http.HandlerType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the Javalin app: the route table, the JSON mapper, limits, and the one place errors are rendered. */
public final class HttpServer {
    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
    private static final long RESPONSE_COMPLETION_MILLIS = 5_000;
    private static final long IDLE_CONNECTION_CLOSE_MILLIS = 50;

    /** Where the HTTP side listens, and how it is protected. */
    public record Settings(String host, int port, HttpOptions options) {
    }

    private HttpServer() {
    }

    public static Javalin create(Settings settings, ModelHost host, ServerMetrics metrics) {
        ObjectMapper mapper = Json.mapper();
        HttpOptions options = settings.options();
        CompletionHandlers completions = new CompletionHandlers(host, mapper, options.maxMessages(),
                options.maxPromptChars(), options.logPrompts());
        ModelsHandler models = new ModelsHandler(host);
        ApiKeyAuth auth = new ApiKeyAuth(options.apiKeys());
        CorsPolicy cors = new CorsPolicy(options.corsOrigins());
        return Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jsonMapper(new JavalinJackson(mapper, false));
            config.http.maxRequestSize = options.maxBodyBytes();
            config.http.prefer405over404 = true;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            config.jetty.modifyHttpConfiguration(http -> {
                http.setRequestHeaderSize(options.maxHeaderBytes());
                http.setSendServerVersion(false);
            });
            config.jetty.modifyServer(server -> {
                // Jetty would stop itself on SIGTERM and cut running streams; GgufServer.shutdown drains them first
                server.setStopAtShutdown(false);
                // and when it stops, responses whose handler has returned still complete (the last chunk of a
                // stream, a JSON body Javalin writes after the handler)
                GracefulHandler graceful = new GracefulHandler();
                graceful.setShutdownIdleTimeout(IDLE_CONNECTION_CLOSE_MILLIS); // idle keep-alive connections
                server.setHandler(graceful);
                server.setStopTimeout(RESPONSE_COMPLETION_MILLIS);
                server.addBean(new NetworkConnectionLimit(options.maxConnections(), server));
                server.setErrorHandler(HttpServer::jettyError); // errors Jetty answers before Javalin sees them
                server.addEventListener(new LifeCycle.Listener() {
                    @Override
                    public void lifeCycleStarting(LifeCycle event) {
                        for (Connector connector : server.getConnectors()) {
                            if (connector instanceof AbstractConnector c) {
                                c.setIdleTimeout(options.idleTimeout().toMillis()); // slow or silent clients
                            }
                        }
                    }
                });
            });

            config.routes.before(RequestIds::assign);
            config.routes.before(HttpServer::securityHeaders);
            config.routes.before(cors::decorate);
            config.routes.before(ctx -> { // preflights are answered here, for any path, without a route of their own
                if (ctx.method() == HandlerType.OPTIONS) {
                    cors.preflight(ctx);
                    ctx.skipRemainingHandlers();
                }
            });
            config.routes.before(auth::check);
            config.routes.after(RequestIds::clear);

            config.routes.get("/health", models::health);
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
            config.routes.after(metrics::request);
            config.routes.get("/v1/models", models::list);
            config.routes.get("/v1/models/<id>", models::get);
            config.routes.post("/v1/chat/completions", completions::chat);
            config.routes.post("/v1/completions", completions::completion);
            ChatPage.register(config);

            mapErrors(config, mapper);
        });
    }

    private static void mapErrors(JavalinConfig config, ObjectMapper mapper) {
        config.routes.exception(ApiException.class, (e, ctx) -> write(ctx, e));
        config.routes.exception(HttpResponseException.class, (e, ctx) -> write(ctx, fromJavalin(e.getStatus(),
                e.getMessage(), ctx)));
        config.routes.exception(Exception.class, (e, ctx) -> {
            log.error("Unexpected error on {} {}", ctx.method(), ctx.path(), e);
            write(ctx, ApiException.serverError("internal server error"));
        });
        // statuses Javalin sets without an exception (no route, wrong method) still get OpenAI's shape
        for (int status : new int[]{404, 405}) {
            config.routes.error(status, ctx -> {
                if (!isOpenAiError(ctx)) {
                    write(ctx, fromJavalin(status, null, ctx));
                }
            });
        }
    }

    /** Every response: no content sniffing, no framing, no referrer leaks. The page adds its CSP (ChatPage). */
    private static void securityHeaders(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
    }

    /** Jetty's own errors (headers too large, a malformed request line) in OpenAI's shape, not an HTML page. */
    private static boolean jettyError(Request request, Response response, Callback callback) {
        int status = response.getStatus();
        String message = switch (status) {
            case 431 -> "The request headers are too large for this server";
            case 414 -> "The request URL is too long for this server";
            case 408 -> "The request took too long to arrive";
            default -> "The request could not be read (HTTP " + status + ")";
        };
        String json = "{\"error\":{\"message\":\"" + message + "\",\"type\":\"invalid_request_error\","
                + "\"param\":null,\"code\":\"http_" + status + "\"}}";
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), callback);
        return true;
    }

    private static ApiException fromJavalin(int status, String message, Context ctx) {
        String route = ctx.method() + " " + ctx.path();
        return switch (status) {
            case 404 -> new ApiException(404, "invalid_request_error", "Invalid URL (" + route + ")", null,
                    "not_found", null);
            case 405 -> new ApiException(405, "invalid_request_error", "Method not allowed (" + route + ")", null,
                    "method_not_allowed", null);
            case 413 -> new ApiException(413, "invalid_request_error",
                    "The request body is too large for this server", null, "request_too_large", null);
            default -> new ApiException(status, status >= 500 ? "server_error" : "invalid_request_error",
                    message == null || message.isBlank() ? "HTTP " + status : message, null, null, null);
        };
    }

    private static boolean isOpenAiError(Context ctx) {
        String result = ctx.result();
        return result != null && result.startsWith("{\"error\"");
    }

    private static void write(Context ctx, ApiException e) {
        if (e.retryAfterSeconds() != null) {
            ctx.header("Retry-After", String.valueOf(e.retryAfterSeconds()));
        }
        ctx.status(e.status()).json(e.body());
    }
}
