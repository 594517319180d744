package dev.ggufserver.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures any OpenAI-compatible server (ours or llama-server) the way a client sees it: time to first token and
 * decode speed of streamed chat completions, one request at a time.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures time to first token and tokens/s of streamed chat completions against a URL.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "Server base URL.")
    String url;

    @Option(names = "--prompt", defaultValue = "Write a long story about a lighthouse keeper.",
            description = "User message of every request.")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "128", description = "Tokens to generate per request.")
    int maxTokens;

    @Option(names = "--requests", defaultValue = "5", description = "Measured requests (after one warm-up).")
    int requests;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One measured request. */
    record Sample(double firstTokenMs, double totalMs, int completionTokens) {
        double decodeTokensPerSecond() {
            double decodeMs = totalMs - firstTokenMs;
            return completionTokens > 1 && decodeMs > 0 ? (completionTokens - 1) * 1000.0 / decodeMs : 0;
        }
    }

    @Override
    public Integer call() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        measure(client); // warm-up: caches, JIT, first-touch of the model
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            samples.add(measure(client));
        }
        double[] ttft = samples.stream().mapToDouble(Sample::firstTokenMs).sorted().toArray();
        double[] speed = samples.stream().mapToDouble(Sample::decodeTokensPerSecond).sorted().toArray();
        System.out.printf(Locale.ROOT, "url=%s requests=%d max_tokens=%d completion_tokens=%d%n", url, requests,
                maxTokens, samples.get(0).completionTokens());
        System.out.printf(Locale.ROOT, "time to first token ms: median %.1f  min %.1f  max %.1f%n", median(ttft),
                ttft[0], ttft[ttft.length - 1]);
        System.out.printf(Locale.ROOT, "decode tokens/s:        median %.1f  min %.1f  max %.1f%n", median(speed),
                speed[0], speed[speed.length - 1]);
        return 0;
    }

    private Sample measure(HttpClient client) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        body.put("max_tokens", maxTokens).put("stream", true).put("temperature", 0)
                .putObject("stream_options").put("include_usage", true);
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                .header("Content-Type", "application/json").timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        long start = System.nanoTime();
        HttpResponse<java.io.InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + " from " + url + ": "
                    + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        long first = -1;
        int completionTokens = 0;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    continue;
                }
                JsonNode chunk = JSON.readTree(line.substring(6));
                JsonNode delta = chunk.path("choices").path(0).path("delta");
                if (first < 0 && (delta.hasNonNull("content") || delta.hasNonNull("reasoning_content"))) {
                    first = System.nanoTime();
                }
                if (chunk.hasNonNull("usage")) {
                    completionTokens = chunk.get("usage").get("completion_tokens").asInt();
                }
            }
        }
        long end = System.nanoTime();
        return new Sample((first - start) / 1e6, (end - start) / 1e6, completionTokens);
    }

    private static double median(double[] sorted) {
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
