package dev.ggufserver.api.openai;

import dev.ggufserver.engine.EngineStatus;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.generation.ServedModel;
import io.javalin.http.Context;
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

    /** The ready model, or a 503 that says why there is none (loading, failed, engine restarting). */
    static ServedModel require(ModelHost host) {
        ServedModel model = host.current().orElseThrow(() -> notReady(host));
        EngineStatus status = model.engine().status();
        if (!status.ready()) {
            throw ApiException.unavailable("The engine is not available right now: " + status.detail(),
                    "engine_unavailable", RETRY_AFTER_SECONDS);
        }
        return model;
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
            require(host);
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

    public void list(Context ctx) {
        ctx.json(new OpenAiTypes.ModelList(List.of(describe(require(host).info()))));
    }

    public void get(Context ctx) {
        ModelInfo info = require(host).info();
        String id = ctx.pathParam("id");
        if (!id.equals(info.id())) {
            throw ApiException.notFound("The model '" + id + "' does not exist; this server serves '" + info.id()
                    + "'.", "model_not_found");
        }
        ctx.json(describe(info));
    }

    private OpenAiTypes.Model describe(ModelInfo info) {
        Map<String, Object> meta = new LinkedHashMap<>();
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
        return new OpenAiTypes.Model(info.id(), "model", startedAt, "gguf-server", meta);
    }
}
