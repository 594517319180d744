package dev.ggufserver.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.api.openai.ApiException;
import dev.ggufserver.api.openai.CompletionHandlers;
import dev.ggufserver.api.openai.EmbeddingsHandler;
import dev.ggufserver.api.openai.ModelsHandler;
import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.web.ChatPage;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.javalin.http.HandlerType;
import java.util.Set;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the Javalin app: the route table, the JSON mapper, limits, and the one place errors are rendered. */
public final class HttpServer {
    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
    private static final long RESPONSE_COMPLETION_MILLIS = 5_000;
    private static final long IDLE_CONNECTION_CLOSE_MILLIS = 50;
    /** Threads beyond one per connection: acceptor, selectors, reserved threads, the odd async callback. */
    static final int THREAD_HEADROOM = 32;
    /** At --max-connections, connections with nothing to do are closed after this long (or the idle timeout). */
    static final long IDLE_AT_LIMIT_MILLIS = 2_000;
    private static final int SESSION_MAX_IDLE_SECONDS = 60;
    /** Set on a context once its response is an OpenAI error, so nothing renders a second one. */
    private static final String OPENAI_ERROR = "gguf.openai-error";
    private static final String CHAT_PATH = "/v1/chat/completions";
    private static final String COMPLETIONS_PATH = "/v1/completions";
    private static final String CONTROL_PATH = CHAT_PATH + "/control";
    private static final String EMBEDDINGS_PATH = "/v1/embeddings";

    /** Where the HTTP side listens, and how it is protected. */
    public record Settings(String host, int port, HttpOptions options) {
    }

    private HttpServer() {
    }

    public static Javalin create(Settings settings, ModelHost host, ServerMetrics metrics) {
        ObjectMapper mapper = Json.mapper();
        HttpOptions options = settings.options();
        CompletionHandlers completions = new CompletionHandlers(host, mapper, options.maxMessages(),
                options.maxPromptChars(), options.logPrompts(), options.keepAliveMillis());
        ModelsHandler models = new ModelsHandler(host);
        EmbeddingsHandler embeddings = new EmbeddingsHandler(host, mapper, options.maxEmbeddingInputs(),
                options.maxPromptChars());
        ApiKeyAuth auth = new ApiKeyAuth(options.apiKeys());
        CorsPolicy cors = new CorsPolicy(options.corsOrigins());
        RequestChecks checks = new RequestChecks(settings.host(), options.maxBodyBytes(),
                Set.of(CHAT_PATH, COMPLETIONS_PATH, CONTROL_PATH, EMBEDDINGS_PATH));
        long idleAtLimit = Math.min(IDLE_AT_LIMIT_MILLIS, options.idleTimeout().toMillis());
        return Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jsonMapper(new JavalinJackson(mapper, false));
            config.http.maxRequestSize = options.maxBodyBytes();
            config.http.prefer405over404 = true;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            // every connection may hold a thread (a request reading its body or waiting in the queue); more threads
            // than connections leave one for /health whatever the clients do. Queued requests hold connections too,
            // so --max-queue needs no threads of its own
            config.jetty.threadPool = threadPool(options.maxConnections());
            // nothing uses sessions; HttpGuard keeps away the WebSocket upgrades that created them, and should one
            // still appear it expires instead of living forever (Jetty's default). Jetty cannot drop the handler
            config.jetty.modifyServletContextHandler(context -> context.getSessionHandler()
                    .setMaxInactiveInterval(SESSION_MAX_IDLE_SECONDS));
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
                graceful.setHandler(new HttpGuard()); // Javalin's context goes inside it
                server.setHandler(graceful);
                server.setStopTimeout(RESPONSE_COMPLETION_MILLIS);
                NetworkConnectionLimit limit = new NetworkConnectionLimit(options.maxConnections(), server);
                // at the limit, sockets that send nothing (idle keep-alives, or an attacker's) make room soon
                limit.setEndPointIdleTimeout(idleAtLimit);
                server.addBean(limit);
                server.setErrorHandler(HttpServer::jettyError); // errors Jetty answers before Javalin sees them
                server.addEventListener(new LifeCycle.Listener() {
                    @Override
                    public void lifeCycleStarting(LifeCycle event) {
                        for (Connector connector : server.getConnectors()) {
                            if (connector instanceof AbstractConnector c) {
                                c.setIdleTimeout(options.idleTimeout().toMillis()); // slow or silent clients
                                c.addBean(shortIdleWhileLimited(c, idleAtLimit));
                            }
                        }
                    }

                    @Override
                    public void lifeCycleStopping(LifeCycle event) {
                        // leaving the limit would reset every connection to the long idle timeout, undoing the
                        // short one the graceful stop gives idle connections, and the stop would wait for them
                        limit.setEndPointIdleTimeout(0);
                    }
                });
            });

            config.routes.before(RequestIds::assign);
            config.routes.before(HttpServer::securityHeaders);
            config.routes.before(checks::host);
            config.routes.before(cors::decorate);
            config.routes.before(ctx -> { // preflights are answered here, for any path, without a route of their own
                if (ctx.method() == HandlerType.OPTIONS) {
                    cors.preflight(ctx);
                    ctx.skipRemainingHandlers();
                }
            });
            config.routes.before(cors::refuseForeign);
            config.routes.before(checks::declaredSize);
            config.routes.before(auth::check);
            config.routes.before(checks::json);
            config.routes.after(RequestIds::clear);

            config.routes.get("/health", models::health);
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
            config.routes.after(metrics::request);
            config.routes.get("/v1/models", models::list);
            config.routes.get("/v1/models/<id>", models::get);
            config.routes.post(CHAT_PATH, completions::chat);
            config.routes.post(COMPLETIONS_PATH, completions::completion);
            config.routes.post(CONTROL_PATH, completions::control);
            config.routes.post(EMBEDDINGS_PATH, embeddings::embeddings);
            ChatPage.register(config);

            mapErrors(config, mapper);
        });
    }

    private static void mapErrors(JavalinConfig config, ObjectMapper mapper) {
        config.routes.exception(ApiException.class, (e, ctx) -> write(ctx, e));
        config.routes.exception(HttpResponseException.class, (e, ctx) -> write(ctx, fromJavalin(e.getStatus(),
                e.getMessage(), ctx)));
        config.routes.exception(Exception.class, (e, ctx) -> {
            if (causedBy(e, HttpGuard.BodyTooSlowException.class)) {
                ctx.header("Connection", "close");
                write(ctx, new ApiException(408, "invalid_request_error", "The request body arrived too slowly "
                        + "(under " + HttpGuard.MIN_BODY_BYTES_PER_SECOND + " bytes per second)", null,
                        "request_timeout", null));
            } else if (causedBy(e, EofException.class)) {
                // the client hung up mid-request: nobody is left to answer, and it is no error of ours
                log.debug("Client left during {} {}: {}", ctx.method(), ctx.path(), e.toString());
                ctx.attribute(OPENAI_ERROR, true);
            } else {
                log.error("Unexpected error on {} {}", ctx.method(), ctx.path(), e);
                write(ctx, ApiException.serverError("internal server error"));
            }
        });
        // statuses Javalin sets without an exception of ours (no route, wrong method, a body read that timed out,
        // a client abort) still get OpenAI's shape; a handler's own error body (/health's 503) stays
        for (int status = 400; status < 600; status++) {
            int code = status;
            config.routes.error(status, ctx -> {
                if (!isOpenAiError(ctx) && ctx.resultInputStream() == null) {
                    write(ctx, fromJavalin(code, null, ctx));
                }
            });
        }
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    static ApiException tooLarge() {
        return new ApiException(413, "invalid_request_error", "The request body is too large for this server", null,
                "request_too_large", null);
    }

    /** Every response: no content sniffing, no framing, no referrer leaks. The page adds its CSP (ChatPage). */
    private static void securityHeaders(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
    }

    /** The same, for responses Jetty writes without Javalin. */
    static void securityHeaders(Response response) {
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        response.getHeaders().put("X-Frame-Options", "DENY");
        response.getHeaders().put("Referrer-Policy", "no-referrer");
    }

    /**
     * Jetty shortens the idle timeout of the connections open when the limit engages; one whose endpoint is set up
     * a moment later (the connection that reached the limit) would keep the long one, so it is shortened here.
     */
    private static Connection.Listener shortIdleWhileLimited(AbstractConnector connector, long idleMillis) {
        return new Connection.Listener() {
            @Override
            public void onOpened(Connection connection) {
                if (!connector.isAccepting() && !connector.isShutdown()) {
                    connection.getEndPoint().setIdleTimeout(idleMillis);
                }
            }
        };
    }

    private static QueuedThreadPool threadPool(int maxConnections) {
        QueuedThreadPool pool = new QueuedThreadPool(maxConnections + THREAD_HEADROOM, 8, 60_000);
        pool.setName("JettyServerThreadPool");
        return pool;
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
        securityHeaders(response);
        HttpGuard.writeError(response, callback, new ApiException(status, status >= 500 ? "server_error"
                : "invalid_request_error", message, null, "http_" + status, null));
        return true;
    }

    private static ApiException fromJavalin(int status, String message, Context ctx) {
        String route = ctx.method() + " " + ctx.path();
        return switch (status) {
            case 404 -> new ApiException(404, "invalid_request_error", "Invalid URL (" + route + ")", null,
                    "not_found", null);
            case 405 -> new ApiException(405, "invalid_request_error", "Method not allowed (" + route + ")", null,
                    "method_not_allowed", null);
            case 408 -> new ApiException(408, "invalid_request_error", "The request took too long to arrive", null,
                    "request_timeout", null);
            case 413 -> tooLarge();
            default -> new ApiException(status, status >= 500 ? "server_error" : "invalid_request_error",
                    message == null || message.isBlank() ? "HTTP " + status : message, null, null, null);
        };
    }

    private static boolean isOpenAiError(Context ctx) {
        return ctx.attribute(OPENAI_ERROR) != null;
    }

    private static void write(Context ctx, ApiException e) {
        if (e.retryAfterSeconds() != null) {
            ctx.header("Retry-After", String.valueOf(e.retryAfterSeconds()));
        }
        ctx.attribute(OPENAI_ERROR, true);
        ctx.status(e.status()).json(e.body());
    }
}
