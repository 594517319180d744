package dev.ggufserver.support;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import dev.ggufserver.engine.Engine;
import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.generation.ServedModel;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkingBudgets;
import dev.ggufserver.server.HttpOptions;
import dev.ggufserver.server.HttpServer;
import dev.ggufserver.server.ServerConfig;
import dev.ggufserver.server.ServerMetrics;
import dev.ggufserver.template.ChatTemplate;
import dev.ggufserver.testmodel.TinyModel;
import io.javalin.Javalin;
import java.time.Duration;

/** The real HTTP server on a free port around any engine (usually a {@link FakeEngine}). */
public final class TestServer implements AutoCloseable {
    private final Javalin app;
    private final ModelHost host;
    private final ServerMetrics metrics;

    private TestServer(Javalin app, ModelHost host, ServerMetrics metrics) {
        this.app = app;
        this.host = host;
        this.metrics = metrics;
    }

    /**
     * The chat template every test server renders with (the official R1 one, BOS left to the engine), so a test can
     * render the same messages and know the exact prompt its engine gets.
     */
    public static ChatTemplate template() {
        return new ChatTemplate(TinyModel.officialTemplate(), TinyModel.BOS, TinyModel.EOS, true);
    }

    /** Serving {@code engine} with the official R1 template; keep-alives every {@code keepAlive}. */
    public static TestServer serving(Engine engine, Duration keepAlive) {
        return serving(engine, keepAlive, ServerConfig.DEFAULT_MAX_QUEUE, ServerConfig.DEFAULT_QUEUE_TIMEOUT);
    }

    /** The same, with a queue of {@code maxQueue} waiting at most {@code queueTimeout}. */
    public static TestServer serving(Engine engine, Duration keepAlive, int maxQueue, Duration queueTimeout) {
        ModelHost host = new ModelHost();
        TestServer server = loading(host);
        ServedModel served = ServedModel.of(engine, template(), ReasoningFormat.DEEPSEEK, ThinkingBudgets.DEFAULTS,
                keepAlive, maxQueue, queueTimeout, server.metrics.forModel(engine.info().id()));
        host.ready(served);
        server.metrics.watch(host.entries().get(0));
        return server;
    }

    /** A server whose model has not finished loading. */
    public static TestServer loading(ModelHost host) {
        return loading(host, HttpOptions.defaults());
    }

    public static TestServer loading(ModelHost host, HttpOptions options) {
        ServerMetrics metrics = new ServerMetrics();
        Javalin app = HttpServer.create(new HttpServer.Settings("127.0.0.1", 0, options), host, metrics).start();
        return new TestServer(app, host, metrics);
    }

    /** Serving {@code engine} behind these HTTP options (keys, CORS, limits). */
    public static TestServer serving(Engine engine, HttpOptions options) {
        ModelHost host = new ModelHost();
        TestServer server = loading(host, options);
        ServedModel served = ServedModel.of(engine, template(), ReasoningFormat.DEEPSEEK, ThinkingBudgets.DEFAULTS,
                Duration.ofMillis(options.keepAliveMillis()), ServerConfig.DEFAULT_MAX_QUEUE,
                ServerConfig.DEFAULT_QUEUE_TIMEOUT, server.metrics.forModel(engine.info().id()));
        host.ready(served);
        return server;
    }

    public String url() {
        return "http://127.0.0.1:" + app.port();
    }

    public Http http() {
        return new Http(url());
    }

    public OpenAIClient sdk() {
        return sdkFor(url());
    }

    public static OpenAIClient sdkFor(String url) {
        return OpenAIOkHttpClient.builder().baseUrl(url + "/v1").apiKey("not-needed").maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    /** Whether Jetty accepts new connections right now (false while --max-connections are open). */
    public boolean accepting() {
        return ((org.eclipse.jetty.server.AbstractConnector) app.jettyServer().server().getConnectors()[0])
                .isAccepting();
    }

    /** Jetty itself, for what only it can tell (its thread pool, its handlers). */
    public org.eclipse.jetty.server.Server jetty() {
        return app.jettyServer().server();
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    public ModelHost host() {
        return host;
    }

    @Override
    public void close() {
        app.stop();
    }
}
