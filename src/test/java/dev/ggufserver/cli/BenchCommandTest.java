package dev.ggufserver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The benchmark runs against a real server and reports what it measured, checked against the server's metrics. */
class BenchCommandTest {
    /** Runs the benchmark and returns its report; it must exit 0 (no errors). */
    private static String bench(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = new CommandLine(new BenchCommand()).execute(args);
        } finally {
            System.setOut(original);
        }
        String report = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(report).isZero();
        return report;
    }

    private static long generatedTokens(String url) {
        return (long) metric(url, "gguf_tokens_generated_total");
    }

    /** The sum of a metric's series (every model's), of those whose labels include {@code labels}. */
    private static double metric(String url, String name, String... labels) {
        double sum = 0; // a counter appears with its first increment
        for (String line : new Http(url).get("/metrics").body().split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            String series = line.substring(0, line.lastIndexOf(' '));
            if (java.util.Arrays.stream(labels).allMatch(series::contains)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static final String NUMBER = "\\s+([0-9.]+|NaN)";

    /** One server's part of the report, its numbers parsed. */
    private record Section(String url, int requests, int promptTokens, int generated, double firstTokenP50,
                           double firstTokenP95, double decodeP50, double decodeP5, double aggregate,
                           double promptP50, double wholeP50, double wholeP95, double followUpP50, double firstTurnP50,
                           int errors) {
    }

    private static final Pattern SECTION = Pattern.compile(
            "(?m)^(\\S+)  concurrency 2  requests (\\d+)  prompt (\\d+) tokens  generated (\\d+) tokens each\\n"
                    + "  time to first token\\s+p50" + NUMBER + " ms\\s+p95" + NUMBER + " ms\\n"
                    + "  decode per stream\\s+p50" + NUMBER + " tok/s p5" + NUMBER + " tok/s\\n"
                    + "  aggregate" + NUMBER + " tok/s\\n"
                    + "  prompt processing\\s+p50" + NUMBER + " tok/s\\n"
                    + "  whole request\\s+p50" + NUMBER + " ms\\s+p95" + NUMBER + " ms\\n"
                    + "  follow-up turn: time to first token p50 ([0-9.]+|NaN) ms \\(first turn ([0-9.]+|NaN) ms\\)\\n"
                    + "  errors (\\d+)$");

    private static List<Section> sections(String report) {
        List<Section> sections = new ArrayList<>();
        Matcher m = SECTION.matcher(report);
        while (m.find()) {
            double[] n = new double[10];
            for (int i = 0; i < n.length; i++) {
                n[i] = Double.parseDouble(m.group(5 + i));
            }
            sections.add(new Section(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4)), n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8], n[9],
                    Integer.parseInt(m.group(15))));
        }
        return sections;
    }

    private static Map<String, Double> ratios(String report) {
        Map<String, Double> ratios = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^  (\\S.*?)\\s+([0-9.]+|NaN)$")
                .matcher(report.substring(report.indexOf("\nratio ")));
        while (m.find()) {
            ratios.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return ratios;
    }

    @Test
    void measuresAndComparesTwoServers() {
        String url = RealServers.url();
        long tokensBefore = generatedTokens(url);
        double completionsBefore = metric(url, "gguf_completions_total", "finish_reason=\"length\"");

        String report = bench("--url", url, "--compare", url, "--concurrency", "2", "--requests", "4",
                "--prompt-tokens", "64", "--max-tokens", "32", "--follow-up");

        List<Section> sections = sections(report);
        assertThat(sections).as(report).hasSize(2);
        for (Section s : sections) {
            assertThat(s.url()).isEqualTo(url);
            assertThat(s.requests()).isEqualTo(4);
            assertThat(s.generated()).as("completion tokens the server reported").isEqualTo(32);
            assertThat(s.promptTokens()).as("prompt tokens the server reported").isGreaterThanOrEqualTo(64);
            assertThat(s.errors()).isZero();
            assertThat(List.of(s.firstTokenP50(), s.decodeP5(), s.aggregate(), s.promptP50(), s.wholeP50(),
                    s.followUpP50())).as(report).allSatisfy(v -> assertThat(v).isFinite().isPositive());
            assertThat(s.firstTokenP95()).isGreaterThanOrEqualTo(s.firstTokenP50());
            assertThat(s.decodeP50()).isGreaterThanOrEqualTo(s.decodeP5());
            assertThat(s.wholeP95()).isGreaterThanOrEqualTo(s.wholeP50());
            assertThat(s.wholeP50()).as("a whole answer takes longer than its first token")
                    .isGreaterThan(s.firstTokenP50());
            assertThat(s.firstTurnP50()).isEqualTo(s.firstTokenP50());
        }
        // both servers were driven: (1 warm-up + 4 measured) requests each, every one with a follow-up turn
        assertThat(metric(url, "gguf_completions_total", "finish_reason=\"length\"") - completionsBefore)
                .isEqualTo(2 * (1 + 4) * 2);
        assertThat(generatedTokens(url) - tokensBefore).isEqualTo(2 * (1 + 4) * 2 * 32);
        assertThat(report).contains("\nratio " + url + " / " + url + "\n");
        assertThat(ratios(report)).containsOnlyKeys("decode tokens/s per stream (p50)", "aggregate tokens/s",
                "prompt tokens/s (p50)", "time to first token (p50)", "whole request (p50)")
                .allSatisfy((what, ratio) -> assertThat(ratio).as(what).isFinite().isPositive());
    }

    @Test
    void warmsUpUnmeasuredAndMeasuresWholeAnswersAfterAPause() {
        String url = RealServers.url();
        long before = generatedTokens(url);

        String report = bench("--url", url, "--warmup", "2", "--requests", "3", "--no-stream", "--think-time", "20",
                "--prompt-tokens", "16", "--max-tokens", "8");

        assertThat(report).contains("requests 3").contains("generated 8 tokens each").contains("errors 0");
        assertThat(generatedTokens(url) - before).isEqualTo((2 + 3) * 8); // the warm-up ran, unmeasured
    }

    /** With a schema the answers are constrained: complete after a few tokens, where unconstrained each takes 24. */
    @Test
    void measuresConstrainedAnswersWithAJsonSchema(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String url = RealServers.url();
        java.nio.file.Path schema = java.nio.file.Files.writeString(dir.resolve("schema.json"),
                "{\"enum\":[\"yes\",\"no\"]}");
        long before = generatedTokens(url);

        String report = bench("--url", url, "--warmup", "0", "--requests", "2", "--prompt-tokens", "16",
                "--max-tokens", "24", "--json-schema", schema.toString());

        assertThat(report).contains("requests 2").contains("errors 0");
        long generated = generatedTokens(url) - before;
        assertThat(generated).isGreaterThan(0).isLessThan(2 * 24);
    }

    /** Chat completions whose thought is cut at its budget: the cut's cost is reported beside an ordinary gap. */
    @Test
    void measuresEmbeddingsPerSecond() {
        String url = "http://127.0.0.1:" + RealServers.chatAndEmbeddings().port();

        String report = bench("--url", url, "--embeddings", "4", "--model", "tiny-bert", "--prompt-tokens", "8",
                "--requests", "5", "--concurrency", "2", "--warmup", "1");

        Matcher m = Pattern.compile("embeddings  concurrency 2  requests 5 of 4 inputs\\n"
                + "  inputs per second" + NUMBER + "\\n  tokens per second" + NUMBER + "\\n"
                + "  request\\s+p50" + NUMBER + " ms\\s+p95" + NUMBER + " ms\\n  errors 0").matcher(report);
        assertThat(m.find()).as(report).isTrue();
        double inputs = Double.parseDouble(m.group(1));
        double tokens = Double.parseDouble(m.group(2));
        assertThat(inputs).isPositive();
        // each input is 32 characters of the story, at least one token per word plus CLS and SEP
        assertThat(tokens / inputs).isGreaterThan(8);
        assertThat(Double.parseDouble(m.group(3))).isPositive();
    }

    @Test
    void timesTheCutOfAThoughtAtItsBudget() {
        String url = RealServers.url();
        long before = generatedTokens(url);

        String report = bench("--url", url, "--warmup", "0", "--requests", "2", "--prompt-tokens", "16",
                "--max-tokens", "24", "--thinking-budget", "4");

        assertThat(report).contains("requests 2").contains("generated 24 tokens each").contains("errors 0");
        Matcher cut = Pattern.compile("thought cut at 4 tokens: thought's end to answer p50 ([0-9.]+) ms "
                + "\\(a piece otherwise p50 ([0-9.]+) ms\\)").matcher(report);
        assertThat(cut.find()).as(report).isTrue();
        // the tiny model is so fast that its pieces may share a network read: the gaps are measured, maybe 0.00
        assertThat(Double.parseDouble(cut.group(1))).isNotNegative();
        assertThat(Double.parseDouble(cut.group(2))).isNotNegative();
        assertThat(generatedTokens(url) - before).isEqualTo(2 * 24);
    }

    private static boolean listening(int port) {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String serverCommand(int port) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return "'" + java + "' -cp '" + System.getProperty("java.class.path") + "' dev.ggufserver.cli.Main --model '"
                + RealServers.tinyModel() + "' --port " + port + " --ctx-size 256 --parallel 1 --threads 1";
    }

    @Test
    void startsAndStopsEachServerItselfOneAtATimeAndReportsTheBestAndTheMedian() throws Exception {
        int ours = freePort();
        int theirs = freePort();

        String report = bench("--url", "http://127.0.0.1:" + ours, "--start", serverCommand(ours),
                "--compare", "http://127.0.0.1:" + theirs, "--compare-start", serverCommand(theirs),
                "--rounds", "2", "--requests", "2", "--prompt-tokens", "2", "--max-tokens", "4", "--warmup", "1");

        assertThat(report.split("round \\d: starting", -1)).hasSize(5); // ours, theirs, ours, theirs
        assertThat(report).containsSubsequence("round 1: starting", ":" + ours, "round 1: starting", ":" + theirs,
                "round 2: starting", ":" + ours, "round 2: starting", ":" + theirs);
        Matcher row = Pattern.compile("aggregate tokens/s" + NUMBER + NUMBER + NUMBER + NUMBER + NUMBER + NUMBER)
                .matcher(report);
        assertThat(row.find()).as(report).isTrue();
        assertThat(Double.parseDouble(row.group(1))).as("best").isGreaterThanOrEqualTo(
                Double.parseDouble(row.group(2))).isPositive();
        assertThat(report).contains("over 2 round(s), one server alive at a time");
        for (int port : new int[]{ours, theirs}) { // both stopped: nothing listens there any more
            assertThat(listening(port)).as("port " + port).isFalse();
        }
    }
}
