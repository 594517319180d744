package dev.ggufserver.api.openai;

import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.EngineStatus;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.generation.ServedModel;
import dev.ggufserver.reasoning.ThinkSplitter;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** GET /v1/models, GET /v1/models/{id} and GET /health. */
public final class ModelsHandler {
    static final int RETRY_AFTER_SECONDS = 5;

    private final ModelHost host;
    private final long startedAt = System.currentTimeMillis() / 1000;

    public ModelsHandler(ModelHost host) {
        this.host = host;
    }

    /**
     * The server takes requests: it is not draining, and its default model is loaded (its engine up) or, once the
     * server has started, loadable on demand; else a 503 that says why (loading, failed, engine restarting).
     */
    static void requireServing(ModelHost host) {
        ModelHost.Status status = host.status();
        if (status != ModelHost.Status.READY && status != ModelHost.Status.UNLOADED) {
            throw notReady(host);
        }
        host.current().ifPresent(ModelsHandler::requireEngine);
    }

    private static void requireEngine(ServedModel model) {
        EngineStatus status = model.engine().status();
        if (!status.ready()) {
            throw ApiException.unavailable("The engine is not available right now: " + status.detail(),
                    "engine_unavailable", RETRY_AFTER_SECONDS);
        }
    }

    /** What a request asks of its model: to generate (chat and text completions) or to embed. */
    enum Use { GENERATE, EMBED }

    /**
     * Runs a request counted in by the host, so that shutdown can wait for it; none start while draining (503).
     */
    static void whileServing(ModelHost host, Runnable request) {
        if (!host.enter()) {
            throw ApiException.unavailable("The server is shutting down.", "server_shutting_down",
                    RETRY_AFTER_SECONDS);
        }
        try {
            request.run();
        } finally {
            host.leave();
        }
    }

    /**
     * A hold on the model a request names ({@code model}; the default when null), loading it if it is not loaded:
     * a 404 {@code model_not_found} when this server serves several and none by that name, a 400
     * {@code model_not_supported} when the model is not for this {@code use} (before it is loaded), a 503 when it
     * cannot serve it now. The caller closes it when the request ends.
     */
    static ModelHost.Lease lease(ModelHost host, String requested, Use use) {
        return lease(host, entry(host, requested, use));
    }

    /**
     * The same for a streamed request: while the model loads, the stream begins and a {@code : ping} comment
     * keeps it open every {@code intervalMillis}, from the first interval on (a load that fails at once is still a
     * plain 503). A failure once the stream has begun is its error event, and then the result is null: the
     * request is over.
     */
    static ModelHost.Lease leaseStreaming(ModelHost host, String requested, Use use, SseStream sse,
                                          java.util.concurrent.ScheduledExecutorService timer, long intervalMillis) {
        ModelHost.Entry entry = entry(host, requested, use);
        if (entry.model().isPresent()) {
            return lease(host, entry);
        }
        java.util.concurrent.ScheduledFuture<?> pings = timer.scheduleAtFixedRate(() -> {
            try {
                sse.ping();
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("the client is gone", e); // stops the pings
            }
        }, intervalMillis, intervalMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        try {
            return lease(host, entry);
        } catch (ApiException e) {
            pings.cancel(false);
            synchronized (sse) { // no ping between the check and the error event
                if (!sse.committed()) {
                    throw e;
                }
                try {
                    sse.event(e.body());
                    sse.flush();
                } catch (IOException ignored) {
                    // the client is gone as well
                }
            }
            return null;
        } finally {
            pings.cancel(false);
        }
    }

    private static ModelHost.Entry entry(ModelHost host, String requested, Use use) {
        if (host.status() == ModelHost.Status.DRAINING || host.entries().isEmpty()) {
            throw notReady(host);
        }
        ModelHost.Entry entry = host.resolve(requested).orElseThrow(() -> ApiException.notFound("The model '"
                + requested + "' does not exist; this server serves " + served(host) + ".", "model_not_found"));
        requireUse(host, entry, use);
        return entry;
    }

    private static ModelHost.Lease lease(ModelHost host, ModelHost.Entry entry) {
        if (entry.model().isEmpty() && !host.isStartedUp()) {
            throw notReady(entry); // the server is still starting: it loads its models itself
        }
        ModelHost.Lease lease;
        try {
            lease = host.lease(entry);
        } catch (EngineException e) {
            throw ApiException.unavailable("The model '" + entry.id() + "' failed to load: " + e.getMessage(),
                    "model_failed", RETRY_AFTER_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("The server is shutting down.", "server_shutting_down",
                    RETRY_AFTER_SECONDS);
        }
        try {
            requireEngine(lease.model());
        } catch (ApiException e) {
            lease.close();
            throw e;
        }
        return lease;
    }

    private static void requireUse(ModelHost host, ModelHost.Entry entry, Use use) {
        boolean embeds = entry.info().embeddings();
        if (use == Use.EMBED && !embeds) {
            List<String> embedders = host.entries().stream().filter(e -> e.info().embeddings())
                    .map(e -> "'" + e.id() + "'").toList();
            throw ApiException.invalid("model", "model_not_supported", "The model '" + entry.id() + "' generates "
                    + "text; it does not compute embeddings. " + (embedders.isEmpty()
                    ? "This server serves no embedding model (serve one with another --model)."
                    : "This server's embedding models: " + String.join(", ", embedders) + "."));
        }
        if (use == Use.GENERATE && embeds) {
            throw ApiException.invalid("model", "model_not_supported", "The model '" + entry.id() + "' is an "
                    + "embedding model; it does not generate text. Send it to /v1/embeddings.");
        }
    }

    /**
     * What a model can be asked for: an embedding model only embeds (known from its file, loaded or not); every
     * loaded chat model completes text, chats and calls tools (the server shows tools to templates that do not),
     * and thinks when its template speaks of the thought's close tag.
     */
    static List<String> capabilities(ModelHost.Entry entry) {
        if (entry.info().embeddings()) {
            return List.of("embeddings");
        }
        return entry.model().map(ModelsHandler::capabilities).orElse(null);
    }

    static List<String> capabilities(ServedModel model) {
        List<String> capabilities = new java.util.ArrayList<>(List.of("completion", "chat", "tools"));
        if (model.template().source().contains(ThinkSplitter.CLOSE)) {
            capabilities.add("thinking");
        }
        return capabilities;
    }

    private static String served(ModelHost host) {
        return String.join(", ", host.entries().stream().map(e -> "'" + e.id() + "'").toList());
    }

    private static ApiException notReady(ModelHost.Entry entry) {
        if (entry.status() == ModelHost.Status.FAILED) {
            return ApiException.unavailable("The model '" + entry.id() + "' failed to load: " + entry.failure(),
                    "model_failed", RETRY_AFTER_SECONDS);
        }
        return ApiException.unavailable("The model '" + entry.id() + "' is still loading; try again shortly.",
                "model_loading", RETRY_AFTER_SECONDS);
    }

    private static ApiException notReady(ModelHost host) {
        if (host.status() == ModelHost.Status.DRAINING) {
            return ApiException.unavailable("The server is shutting down.", "server_shutting_down",
                    RETRY_AFTER_SECONDS);
        }
        if (host.status() == ModelHost.Status.FAILED) {
            return ApiException.unavailable("The model failed to load: " + host.failure(), "model_failed",
                    RETRY_AFTER_SECONDS);
        }
        return ApiException.unavailable("The model is still loading; try again shortly.", "model_loading",
                RETRY_AFTER_SECONDS);
    }

    /**
     * 200 {@code {"status":"ok"}}, or 503 with {@code "status"} "loading" or "unavailable", a {@code "reason"}, and
     * the OpenAI error object, so both health checkers and OpenAI clients understand it.
     */
    public void health(Context ctx) {
        try {
            if (host.status() == ModelHost.Status.DRAINING) {
                throw notReady(host);
            }
            requireServing(host);
        } catch (ApiException e) {
            String status = host.status() == ModelHost.Status.LOADING ? "loading" : "unavailable";
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", status);
            body.put("reason", e.getMessage());
            body.put("error", e.body().error());
            ctx.status(503).header("Retry-After", String.valueOf(RETRY_AFTER_SECONDS)).json(body);
            return;
        }
        ctx.json(Map.of("status", "ok"));
    }

    /** Every served model, in serving order (the first is the default); 503 while the default is not ready. */
    public void list(Context ctx) {
        requireServing(host);
        ctx.json(new OpenAiTypes.ModelList(host.entries().stream().map(this::describe).toList()));
    }

    public void get(Context ctx) {
        requireServing(host);
        String id = ctx.pathParam("id");
        ModelHost.Entry entry = host.entries().stream().filter(e -> e.id().equals(id)).findFirst()
                .orElseThrow(() -> ApiException.notFound("The model '" + id + "' does not exist; this server "
                        + "serves " + served(host) + ".", "model_not_found"));
        ctx.json(describe(entry));
    }

    private OpenAiTypes.Model describe(ModelHost.Entry entry) {
        ModelInfo info = entry.info();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("status", entry.status().name().toLowerCase(java.util.Locale.ROOT));
        List<String> capabilities = capabilities(entry);
        if (capabilities != null) {
            meta.put("capabilities", capabilities);
        }
        if (info.embeddings()) {
            meta.put("embedding_dimensions", info.embeddingDimensions());
        }
        meta.put("context_length", info.contextPerRequest());
        meta.put("n_ctx_train", info.trainedContext());
        meta.put("n_params", info.parameters());
        meta.put("architecture", info.architecture());
        meta.put("quantization", info.quantization());
        meta.put("size", info.fileSizeBytes());
        meta.put("parallel", info.parallel());
        meta.put("chat_template", info.hasChatTemplate());
        if (info.sha256() != null) {
            meta.put("sha256", info.sha256());
        }
        entry.model().flatMap(m -> m.engine().nativeLibrary()).ifPresent(library -> {
            Map<String, Object> describe = new LinkedHashMap<>();
            describe.put("source", library.source().wireName());
            describe.put("path", library.location());
            describe.put("variant", library.variant());
            describe.put("cpu_features", library.cpuFeatures());
            meta.put("native_library", describe);
        });
        return new OpenAiTypes.Model(info.id(), "model", startedAt, "gguf-server", meta);
    }
}
