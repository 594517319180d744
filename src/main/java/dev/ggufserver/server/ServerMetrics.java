package dev.ggufserver.server;

import dev.ggufserver.engine.AdmissionQueue;
import dev.ggufserver.engine.Engine;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.worker.WorkerEngine;
import dev.ggufserver.generation.CompletionMetrics;
import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.generation.ServedModel;
import dev.ggufserver.generation.Timings;
import dev.ggufserver.generation.Usage;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Everything {@code /metrics} shows, in Prometheus' text format: HTTP requests by endpoint and status, the queue,
 * slots, tokens, time to first token and decode speed, cancellations, engine restarts, and the JVM's own.
 */
public final class ServerMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final java.util.Map<String, ModelMetrics> byModel = new java.util.concurrent.ConcurrentHashMap<>();

    public ServerMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    /**
     * Watches the queue and the engine of one served model, tagged with its id, as it is loaded now (while it is
     * unloaded: no slots, engine down), so the gauges follow it across unloads and loads. The entry, held by the
     * host, is what the meters hold on to (Micrometer keeps only weak references).
     */
    public void watch(ModelHost.Entry entry) {
        String model = entry.id();
        Gauge.builder("gguf.queue.waiting", entry, e -> queue(e).map(AdmissionQueue::waiting).orElse(0))
                .tag("model", model).description("Requests waiting for a slot").register(registry);
        Gauge.builder("gguf.slots.busy", entry, e -> queue(e).map(AdmissionQueue::inUse).orElse(0))
                .tag("model", model).description("Slots generating now").register(registry);
        Gauge.builder("gguf.slots.capacity", entry, e -> queue(e).map(AdmissionQueue::slots).orElse(0))
                .tag("model", model).description("Slots (--parallel)").register(registry);
        Gauge.builder("gguf.engine.up", entry, e -> e.model().map(m -> m.engine().status().ready() ? 1 : 0)
                        .orElse(0)).tag("model", model)
                .description("1 when the model's engine process serves requests").register(registry);
        FunctionCounter.builder("gguf.engine.restarts", entry, e -> e.model().map(ServedModel::engine)
                        .filter(WorkerEngine.class::isInstance).map(w -> ((WorkerEngine) w).restarts()).orElse(0L))
                .tag("model", model).description("Restarts of the model's current engine process")
                .register(registry);
    }

    private static Optional<AdmissionQueue> queue(ModelHost.Entry entry) {
        return entry.model().map(m -> m.runner().queue());
    }

    /**
     * Counts one finished HTTP request (a Javalin after-handler). Every tag is bounded: the method by
     * {@link #methodTag}, the endpoint by the route table, the status by the few the server sets.
     */
    public void request(Context ctx) {
        var matched = ctx.endpoints().matchedHttpEndpoint(); // ctx.endpoint() is this after-handler itself
        String endpoint = matched == null ? "unmatched" : matched.path;
        Counter.builder("gguf.http.requests").description("HTTP requests by endpoint and status")
                .tag("method", methodTag(ctx.method().name()))
                .tag("endpoint", endpoint)
                .tag("status", String.valueOf(ctx.statusCode()))
                .register(registry).increment();
    }

    /** Any token is a method to Javalin: a tag per name would let clients add series without end. */
    static String methodTag(String method) {
        return switch (method) {
            case "GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH" -> method;
            default -> "OTHER";
        };
    }

    public String scrape() {
        return registry.scrape();
    }

    /**
     * The generation path's meters for one model: every series carries {@code model}, so a server of several
     * models shows each one's tokens, completions, waits and speeds (Prometheus sums them with {@code sum}).
     */
    public CompletionMetrics forModel(String model) {
        return byModel.computeIfAbsent(model, m -> new ModelMetrics(registry, m));
    }

    private static final class ModelMetrics implements CompletionMetrics {
        private final MeterRegistry registry;
        private final String model;
        private final Timer queueWait;
        private final Counter rejected;
        private final Counter promptTokens;
        private final Counter generatedTokens;
        private final Counter reasoningTokens;
        private final Timer timeToFirstToken;
        private final DistributionSummary decodeSpeed;
        private final Counter clientGone;
        private final Counter structuredOutputInvalid;

        ModelMetrics(MeterRegistry registry, String model) {
            this.registry = registry;
            this.model = model;
            queueWait = Timer.builder("gguf.queue.wait").description("Time requests waited for a slot")
                    .tag("model", model).publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofMinutes(10)).register(registry);
            rejected = Counter.builder("gguf.queue.rejected").tag("model", model)
                    .description("Requests turned away with 503 because the queue was full or the wait too long")
                    .register(registry);
            promptTokens = Counter.builder("gguf.tokens.prompt").description("Prompt tokens processed")
                    .tag("model", model).register(registry);
            generatedTokens = Counter.builder("gguf.tokens.generated").description("Tokens generated")
                    .tag("model", model).register(registry);
            reasoningTokens = Counter.builder("gguf.tokens.reasoning")
                    .description("Generated tokens that were thinking").tag("model", model).register(registry);
            timeToFirstToken = Timer.builder("gguf.time.to.first.token")
                    .description("From getting a slot to the first generated piece (prompt processing included)")
                    .tag("model", model).publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofMinutes(10)).register(registry);
            decodeSpeed = DistributionSummary.builder("gguf.decode.tokens.per.second")
                    .description("Decode speed of each finished request").tag("model", model)
                    .publishPercentileHistogram().minimumExpectedValue(0.1).maximumExpectedValue(100_000.0)
                    .register(registry);
            clientGone = Counter.builder("gguf.cancellations").tag("reason", "client_gone").tag("model", model)
                    .description("Generations stopped because the client left").register(registry);
            structuredOutputInvalid = Counter.builder("gguf.structured.output.invalid").tag("model", model)
                    .description("Complete constrained answers that failed the schema check (a grammar compiler "
                            + "bug)").register(registry);
        }

        @Override
        public void rejected() {
            rejected.increment();
        }

        @Override
        public void admitted(double queueMs) {
            queueWait.record((long) (queueMs * 1e6), TimeUnit.NANOSECONDS);
        }

        @Override
        public void firstToken(double millisFromAdmission) {
            timeToFirstToken.record((long) (millisFromAdmission * 1e6), TimeUnit.NANOSECONDS);
        }

        @Override
        public void finished(FinishReason reason, Usage usage, Timings timings) {
            Counter.builder("gguf.completions").description("Completions by finish reason")
                    .tag("finish_reason", reason.name().toLowerCase(Locale.ROOT)).tag("model", model)
                    .register(registry).increment();
            promptTokens.increment(usage.promptTokens());
            generatedTokens.increment(usage.completionTokens());
            reasoningTokens.increment(usage.reasoningTokens());
            if (timings.predictedPerSecond() > 0) {
                decodeSpeed.record(timings.predictedPerSecond());
            }
        }

        @Override
        public void clientGone(int tokensGenerated) {
            clientGone.increment();
            generatedTokens.increment(tokensGenerated);
        }

        @Override
        public void structuredOutputInvalid() {
            structuredOutputInvalid.increment();
        }
    }
}
