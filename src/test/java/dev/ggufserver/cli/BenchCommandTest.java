package dev.ggufserver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The benchmark runs against a real server and reports what it measured (numbers are not asserted). */
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
        Matcher m = Pattern.compile("(?m)^gguf_tokens_generated_total (\\S+)$")
                .matcher(new Http(url).get("/metrics").body());
        assertThat(m.find()).isTrue();
        return (long) Double.parseDouble(m.group(1));
    }

    @Test
    void measuresAndComparesTwoServers() {
        String url = RealServers.url();
        String report = bench("--url", url, "--compare", url, "--concurrency", "2", "--requests", "4",
                "--prompt-tokens", "64", "--max-tokens", "32", "--follow-up");

        assertThat(report).contains("concurrency 2  requests 4").contains("generated 32 tokens each")
                .contains("time to first token").contains("decode per stream").contains("aggregate")
                .contains("prompt processing").contains("follow-up turn").contains("errors 0")
                .contains("ratio " + url + " / " + url).contains("aggregate tokens/s");
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
}
