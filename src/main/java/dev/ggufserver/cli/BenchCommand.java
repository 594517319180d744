package dev.ggufserver.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Drives any OpenAI-compatible server (this one, llama-server, Ollama) the way clients see it: N concurrent streams
 * of raw completions with prompts of about P tokens, each generating exactly G tokens (ignore_eos), and reports
 * time to first token, decode speed per stream, aggregate throughput, prompt processing speed and errors. With
 * {@code --compare} it runs the same load against a second server and prints the ratios. With {@code --follow-up}
 * every request is followed by a second turn that extends it, to show what the prompt cache saves; with
 * {@code --think-time} each request finds the server idle, as a person's does.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measures an OpenAI-compatible server: time to first token, tokens/s, errors.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "Server base URL.")
    String url;

    @Option(names = "--compare", paramLabel = "URL", description = "A second server to run the same load against.")
    String compare;

    @Option(names = "--start", paramLabel = "COMMAND",
            description = "A shell command that starts the server at --url: bench starts it, waits for /health, "
                    + "measures, and stops it before the other server starts (one server alive at a time).")
    String start;

    @Option(names = "--compare-start", paramLabel = "COMMAND",
            description = "The same for the --compare server.")
    String compareStart;

    @Option(names = "--rounds", defaultValue = "1", paramLabel = "N",
            description = "With --start: measure each server N times, alternating, and report the best and the "
                    + "median of each (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--start-timeout", defaultValue = "600", paramLabel = "SECONDS",
            description = "How long a started server may take to answer /health (default: ${DEFAULT-VALUE}).")
    int startTimeoutSeconds;

    @Option(names = "--concurrency", defaultValue = "1", description = "Streams at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--requests", defaultValue = "8", description = "Measured requests (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--warmup", defaultValue = "1", paramLabel = "N",
            description = "Unmeasured requests sent to each server first, all servers before any measuring, so that "
                    + "caches and JIT compilers (a Java server's, this client's) are warm (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--prompt-tokens", defaultValue = "128",
            description = "About how long each prompt is, in tokens (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--max-tokens", defaultValue = "128",
            description = "Tokens each request generates, EOS ignored (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--model", defaultValue = "default", description = "Model name to send.")
    String model;

    @Option(names = "--follow-up", description = "Send a second turn after each request and time it too.")
    boolean followUp;

    @Option(names = "--no-stream", description = "Ask for whole JSON answers instead of streams (time to first "
            + "token is then the whole request).")
    boolean noStream;

    @Option(names = "--json-schema", paramLabel = "FILE",
            description = "Constrain every answer by this JSON Schema (response_format json_schema), to measure what "
                    + "a constraint costs; EOS then ends an answer that is complete.")
    java.nio.file.Path jsonSchema;

    @Option(names = "--think-time", defaultValue = "0", paramLabel = "MS",
            description = "Pause before each measured request, as a person between messages: the server is idle "
                    + "when the request comes (default: ${DEFAULT-VALUE}).")
    long thinkTimeMillis;

    @Option(names = "--thinking-budget", defaultValue = "-1", paramLabel = "N",
            description = "Send chat completions (the prompt as a user message) whose thought is cut at N tokens, "
                    + "and time the cut: the gap from the thought's last piece to the answer's first, against an "
                    + "ordinary gap between pieces (default: off, raw completions).")
    int thinkingBudget;

    @Option(names = "--embeddings", defaultValue = "0", paramLabel = "N",
            description = "Measure /v1/embeddings instead: requests of N inputs of about --prompt-tokens tokens each "
                    + "(give --model the embedding model's name); reports inputs and tokens per second "
                    + "(default: off).")
    int embeddingInputs;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SENTENCE = "The lighthouse keeper counted the ships that passed in the night. ";

    /** One measured request. */
    record Sample(double firstTokenMs, double totalMs, int promptTokens, int completionTokens,
                  double serverPromptPerSecond, double followUpFirstTokenMs, double cutGapMs, double pieceGapMs,
                  String error) {
        double decodeTokensPerSecond() {
            double decodeMs = totalMs - firstTokenMs;
            return completionTokens > 1 && decodeMs > 0 ? (completionTokens - 1) * 1000.0 / decodeMs : 0;
        }
    }

    /** A whole run against one server. */
    record Report(String url, List<Sample> samples, double wallSeconds) {
        List<Sample> ok() {
            return samples.stream().filter(s -> s.error() == null).toList();
        }

        double percentile(java.util.function.ToDoubleFunction<Sample> f, double p) {
            List<Double> values = new ArrayList<>(ok().stream().mapToDouble(f).boxed().toList());
            if (values.isEmpty()) {
                return Double.NaN;
            }
            Collections.sort(values);
            return values.get((int) Math.min(values.size() - 1, Math.ceil(p / 100 * values.size()) - 1));
        }

        double aggregate() {
            return ok().stream().mapToInt(Sample::completionTokens).sum() / wallSeconds;
        }

        long errors() {
            return samples.size() - ok().size();
        }
    }

    @Override
    public Integer call() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        if (embeddingInputs > 0) {
            return embeddings(client);
        }
        if (start != null || compareStart != null) {
            return oneAtATime(client);
        }
        warmUp(client, url);
        if (compare != null) {
            warmUp(client, compare);
        }
        Report ours = run(client, url);
        print(ours);
        if (compare != null) {
            Report theirs = run(client, compare);
            print(theirs);
            System.out.printf(Locale.ROOT, "%nratio %s / %s%n", url, compare);
            ratio("decode tokens/s per stream (p50)", ours.percentile(Sample::decodeTokensPerSecond, 50),
                    theirs.percentile(Sample::decodeTokensPerSecond, 50));
            ratio("aggregate tokens/s", ours.aggregate(), theirs.aggregate());
            ratio("prompt tokens/s (p50)", ours.percentile(Sample::serverPromptPerSecond, 50),
                    theirs.percentile(Sample::serverPromptPerSecond, 50));
            ratio("time to first token (p50)", ours.percentile(Sample::firstTokenMs, 50),
                    theirs.percentile(Sample::firstTokenMs, 50));
            ratio("whole request (p50)", ours.percentile(Sample::totalMs, 50), theirs.percentile(Sample::totalMs, 50));
        }
        return ours.errors() == 0 ? 0 : 1;
    }

    /** Caches, JIT compilers and the first touch of the model's pages; errors here show up in the run. */
    private void warmUp(HttpClient client, String base) {
        for (int i = 0; i < warmup; i++) {
            measure(client, base);
        }
    }

    private Report run(HttpClient client, String base) throws Exception {
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        double wall = concurrently(() -> {
            if (thinkTimeMillis > 0) {
                Thread.sleep(thinkTimeMillis);
            }
            samples.add(measure(client, base));
        });
        return new Report(base, samples, wall);
    }

    /** One measured request. */
    private interface Request {
        void send() throws Exception;
    }

    /** Sends --requests requests, --concurrency at a time; returns the wall-clock seconds they took. */
    private double concurrently(Request request) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        long start = System.nanoTime();
        List<Future<?>> workers = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            workers.add(pool.submit(() -> {
                while (next.getAndIncrement() < requests) {
                    request.send();
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            w.get();
        }
        pool.shutdown();
        return (System.nanoTime() - start) / 1e9;
    }

    private String prompt(int index) {
        StringBuilder p = new StringBuilder("Story " + index + ". ");
        while (p.length() < promptTokens * 4) { // about four characters per token in English
            p.append(SENTENCE);
        }
        return p.toString();
    }

    private Sample measure(HttpClient client, String base) {
        String prompt = prompt((int) (Math.random() * 1_000_000)); // a fresh prompt: no cache from earlier runs
        try {
            Turn first = turn(client, base, prompt);
            double followUpMs = Double.NaN;
            if (followUp) {
                followUpMs = turn(client, base, prompt + first.text + " And then?").firstTokenMs;
            }
            return new Sample(first.firstTokenMs, first.totalMs, first.promptTokens, first.completionTokens,
                    first.promptPerSecond, followUpMs, first.cutGapMs, first.pieceGapMs, null);
        } catch (Exception e) {
            return new Sample(0, 0, 0, 0, 0, Double.NaN, Double.NaN, Double.NaN,
                    e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /**
     * @param cutGapMs   with --thinking-budget: from the thought's last piece to the answer's first (NaN otherwise)
     * @param pieceGapMs with --thinking-budget: the median gap between the other pieces
     */
    private record Turn(double firstTokenMs, double totalMs, int promptTokens, int completionTokens,
                        double promptPerSecond, String text, double cutGapMs, double pieceGapMs) {
    }

    private Turn turn(HttpClient client, String base, String prompt) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        boolean chat = thinkingBudget >= 0;
        body.put("model", model).put("max_tokens", maxTokens).put("stream", !noStream)
                .put("temperature", 0).put("ignore_eos", true).put("cache_prompt", true);
        if (chat) {
            body.putArray("messages").addObject().put("role", "user").put("content", prompt);
            body.put("thinking_budget_tokens", thinkingBudget);
        } else {
            body.put("prompt", prompt);
        }
        if (jsonSchema != null) {
            body.put("ignore_eos", false); // a constrained answer ends when it is complete (and llama.cpp requires it)
            body.putObject("response_format").put("type", "json_schema").putObject("json_schema")
                    .put("name", "bench").set("schema", JSON.readTree(jsonSchema.toFile()));
        }
        if (!noStream) {
            body.putObject("stream_options").put("include_usage", true);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + (chat ? "/v1/chat/completions"
                        : "/v1/completions")))
                .header("Content-Type", "application/json").timeout(Duration.ofMinutes(30))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        long start = System.nanoTime();
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (java.io.IOException e) {
            // a server may close a pooled keep-alive connection just as it is reused: one fresh try
            start = System.nanoTime();
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + ": "
                    + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        if (noStream) {
            JsonNode whole = JSON.readTree(response.body());
            long end = System.nanoTime();
            double ms = (end - start) / 1e6;
            return new Turn(ms, ms, whole.path("usage").path("prompt_tokens").asInt(),
                    whole.path("usage").path("completion_tokens").asInt(),
                    whole.path("timings").path("prompt_per_second").asDouble(),
                    whole.path("choices").path(0).path("text").asText(""), Double.NaN, Double.NaN);
        }
        long first = -1;
        int prompted = 0;
        int completed = 0;
        double promptPerSecond = 0;
        StringBuilder text = new StringBuilder();
        List<Long> pieceTimes = new ArrayList<>();
        int answerStart = -1; // index in pieceTimes of the answer's first piece
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    continue;
                }
                JsonNode chunk = JSON.readTree(line.substring(6));
                if (chunk.has("error")) {
                    throw new IllegalStateException(chunk.get("error").toString());
                }
                JsonNode choice = chunk.path("choices").path(0);
                String piece = chat ? choice.path("delta").path("content").asText("") : choice.path("text").asText("");
                String thought = choice.path("delta").path("reasoning_content").asText("");
                if (!piece.isEmpty() || !thought.isEmpty()) {
                    long now = System.nanoTime();
                    first = first < 0 ? now : first;
                    text.append(piece);
                    if (!piece.isEmpty() && answerStart < 0) {
                        answerStart = pieceTimes.size();
                    }
                    pieceTimes.add(now);
                }
                if (chunk.hasNonNull("usage")) {
                    prompted = chunk.get("usage").path("prompt_tokens").asInt();
                    completed = chunk.get("usage").path("completion_tokens").asInt();
                }
                if (chunk.hasNonNull("timings")) { // llama-server and gguf-server both report these
                    promptPerSecond = chunk.get("timings").path("prompt_per_second").asDouble();
                }
            }
        }
        long end = System.nanoTime();
        first = first < 0 ? end : first;
        if (promptPerSecond == 0 && prompted > 0) {
            promptPerSecond = prompted * 1e9 / (first - start);
        }
        double cutGap = Double.NaN;
        double pieceGap = Double.NaN;
        if (chat && answerStart > 0) {
            cutGap = (pieceTimes.get(answerStart) - pieceTimes.get(answerStart - 1)) / 1e6;
            List<Double> gaps = new ArrayList<>();
            for (int i = 1; i < pieceTimes.size(); i++) {
                if (i != answerStart) {
                    gaps.add((pieceTimes.get(i) - pieceTimes.get(i - 1)) / 1e6);
                }
            }
            Collections.sort(gaps);
            pieceGap = gaps.isEmpty() ? Double.NaN : gaps.get(gaps.size() / 2);
        }
        return new Turn((first - start) / 1e6, (end - start) / 1e6, prompted, completed, promptPerSecond,
                text.toString(), cutGap, pieceGap);
    }

    private void print(Report r) {
        List<Sample> ok = r.ok();
        System.out.printf(Locale.ROOT, "%n%s  concurrency %d  requests %d  prompt %d tokens  generated %d tokens each%n",
                r.url(), concurrency, requests, ok.isEmpty() ? 0 : ok.get(0).promptTokens(),
                ok.isEmpty() ? 0 : ok.get(0).completionTokens());
        System.out.printf(Locale.ROOT, "  time to first token      p50 %8.1f ms   p95 %8.1f ms%n",
                r.percentile(Sample::firstTokenMs, 50), r.percentile(Sample::firstTokenMs, 95));
        System.out.printf(Locale.ROOT, "  decode per stream        p50 %8.1f tok/s p5  %8.1f tok/s%n",
                r.percentile(Sample::decodeTokensPerSecond, 50), r.percentile(Sample::decodeTokensPerSecond, 5));
        System.out.printf(Locale.ROOT, "  aggregate                    %8.1f tok/s%n", r.aggregate());
        System.out.printf(Locale.ROOT, "  prompt processing        p50 %8.1f tok/s%n",
                r.percentile(Sample::serverPromptPerSecond, 50));
        System.out.printf(Locale.ROOT, "  whole request            p50 %8.1f ms   p95 %8.1f ms%n",
                r.percentile(Sample::totalMs, 50), r.percentile(Sample::totalMs, 95));
        if (followUp) {
            System.out.printf(Locale.ROOT, "  follow-up turn: time to first token p50 %.1f ms (first turn %.1f ms)%n",
                    r.percentile(Sample::followUpFirstTokenMs, 50), r.percentile(Sample::firstTokenMs, 50));
        }
        if (thinkingBudget >= 0) {
            System.out.printf(Locale.ROOT, "  thought cut at %d tokens: thought's end to answer p50 %.2f ms (a piece "
                            + "otherwise p50 %.2f ms)%n", thinkingBudget, r.percentile(Sample::cutGapMs, 50),
                    r.percentile(Sample::pieceGapMs, 50));
        }
        System.out.printf(Locale.ROOT, "  errors %d%n", r.errors());
        r.samples().stream().filter(s -> s.error() != null).limit(3)
                .forEach(s -> System.out.println("    " + s.error()));
    }

    /** A metric of a run, named as the report prints it, higher or lower being better. */
    private record Metric(String name, java.util.function.ToDoubleFunction<Report> value, boolean higherIsBetter) {
    }

    private static final List<Metric> METRICS = List.of(
            new Metric("decode tokens/s per stream (p50)", r -> r.percentile(Sample::decodeTokensPerSecond, 50), true),
            new Metric("aggregate tokens/s", Report::aggregate, true),
            new Metric("prompt tokens/s (p50)", r -> r.percentile(Sample::serverPromptPerSecond, 50), true),
            new Metric("time to first token ms (p50)", r -> r.percentile(Sample::firstTokenMs, 50), false),
            new Metric("whole request ms (p50)", r -> r.percentile(Sample::totalMs, 50), false));

    /**
     * Starts each server itself, measures it and stops it before the next starts, so that their threads never
     * compete for the cores (two servers alive at once distort each other's figures); with --rounds, alternately,
     * then the best and the median of each metric.
     */
    private int oneAtATime(HttpClient client) throws Exception {
        if (compare != null && compareStart == null || compare == null && compareStart != null) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--compare-start goes with --compare (and --start with --url)");
        }
        List<Report> ours = new ArrayList<>();
        List<Report> theirs = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            ours.add(measureStarted(client, url, start, round));
            if (compare != null) {
                theirs.add(measureStarted(client, compare, compareStart, round));
            }
        }
        System.out.printf(Locale.ROOT, "%nover %d round(s), one server alive at a time%n", rounds);
        System.out.printf(Locale.ROOT, "  %-34s %12s %12s%s%n", "", "best", "median",
                compare == null ? "" : String.format(Locale.ROOT, " %12s %12s %9s %9s", "best (2)", "median (2)",
                        "ratio b", "ratio m"));
        for (Metric m : METRICS) {
            double[] a = summary(ours, m);
            if (compare == null) {
                System.out.printf(Locale.ROOT, "  %-34s %12.1f %12.1f%n", m.name(), a[0], a[1]);
            } else {
                double[] b = summary(theirs, m);
                System.out.printf(Locale.ROOT, "  %-34s %12.1f %12.1f %12.1f %12.1f %9.3f %9.3f%n", m.name(), a[0],
                        a[1], b[0], b[1], a[0] / b[0], a[1] / b[1]);
            }
        }
        long errors = ours.stream().mapToLong(Report::errors).sum() + theirs.stream().mapToLong(Report::errors).sum();
        return errors == 0 ? 0 : 1;
    }

    /** {best, median} of a metric over runs. */
    private static double[] summary(List<Report> runs, Metric m) {
        List<Double> values = new ArrayList<>(runs.stream().mapToDouble(m.value()).boxed().toList());
        Collections.sort(values);
        double best = m.higherIsBetter() ? values.get(values.size() - 1) : values.get(0);
        int n = values.size();
        double median = n % 2 == 1 ? values.get(n / 2) : (values.get(n / 2 - 1) + values.get(n / 2)) / 2;
        return new double[]{best, median};
    }

    private Report measureStarted(HttpClient client, String base, String command, int round) throws Exception {
        System.out.printf(Locale.ROOT, "%nround %d: starting %s%n", round, command);
        Process server = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            awaitHealthy(client, base, server);
            warmUp(client, base);
            Report report = run(client, base);
            print(report);
            return report;
        } finally {
            stop(server);
        }
    }

    private void awaitHealthy(HttpClient client, String base, Process server) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(startTimeoutSeconds);
        HttpRequest health = HttpRequest.newBuilder(URI.create(base + "/health")).timeout(Duration.ofSeconds(5))
                .build();
        while (true) {
            if (!server.isAlive()) {
                throw new IllegalStateException("the server exited with code " + server.exitValue()
                        + " before it was ready");
            }
            try {
                if (client.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the server did not answer /health within " + startTimeoutSeconds
                        + " s");
            }
            server.waitFor(200, TimeUnit.MILLISECONDS); // returns at once if it exits
        }
    }

    /** SIGTERM to the server and everything it started, then SIGKILL for what is still alive after 30 s. */
    private static void stop(Process server) throws InterruptedException {
        List<ProcessHandle> tree = new ArrayList<>(server.descendants().toList());
        tree.add(server.toHandle());
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : tree) {
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.onExit().join();
            }
        }
    }

    /** The embeddings mode: the same inputs for every request (--requests of them, --concurrency at once). */
    private int embeddings(HttpClient client) throws Exception {
        ArrayNode inputs = JSON.createArrayNode();
        for (int i = 0; i < embeddingInputs; i++) {
            String text = prompt(i);
            inputs.add(text.substring(0, Math.min(text.length(), promptTokens * 4)));
        }
        ObjectNode body = JSON.createObjectNode().put("model", model).set("input", inputs);
        String json = JSON.writeValueAsString(body);
        for (int i = 0; i < warmup; i++) {
            embedOnce(client, json);
        }
        List<double[]> results = Collections.synchronizedList(new ArrayList<>()); // {ms, tokens}
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        double wall = concurrently(() -> {
            try {
                results.add(embedOnce(client, json));
            } catch (Exception e) {
                errors.add(e.getMessage());
            }
        });
        List<Double> ms = new ArrayList<>(results.stream().map(r -> r[0]).toList());
        Collections.sort(ms);
        double tokens = results.stream().mapToDouble(r -> r[1]).sum();
        System.out.printf(Locale.ROOT, "%n%s  embeddings  concurrency %d  requests %d of %d inputs%n", url,
                concurrency, requests, embeddingInputs);
        System.out.printf(Locale.ROOT, "  inputs per second            %8.1f%n",
                results.size() * embeddingInputs / wall);
        System.out.printf(Locale.ROOT, "  tokens per second            %8.1f%n", tokens / wall);
        if (!ms.isEmpty()) {
            System.out.printf(Locale.ROOT, "  request                  p50 %8.1f ms   p95 %8.1f ms%n",
                    ms.get((ms.size() - 1) / 2), ms.get((int) Math.ceil(0.95 * ms.size()) - 1));
        }
        System.out.printf(Locale.ROOT, "  errors %d%n", errors.size());
        errors.stream().distinct().limit(5).forEach(e -> System.out.println("    " + e));
        return errors.isEmpty() ? 0 : 1;
    }

    /** One embeddings request: {milliseconds, prompt tokens}. */
    private double[] embedOnce(HttpClient client, String json) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url + "/v1/embeddings"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        double ms = (System.nanoTime() - start) / 1e6;
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + ": " + response.body());
        }
        return new double[]{ms, JSON.readTree(response.body()).at("/usage/prompt_tokens").asDouble()};
    }

    private static void ratio(String what, double ours, double theirs) {
        System.out.printf(Locale.ROOT, "  %-34s %.3f%n", what, theirs == 0 ? Double.NaN : ours / theirs);
    }
}
