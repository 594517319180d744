package dev.ggufserver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.support.RealServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The benchmark runs against a real server and reports what it measured (numbers are not asserted). */
class BenchCommandTest {
    @Test
    void measuresAndComparesTwoServers() {
        String url = RealServers.url();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = new CommandLine(new BenchCommand()).execute("--url", url, "--compare", url, "--concurrency", "2",
                    "--requests", "4", "--prompt-tokens", "64", "--max-tokens", "32", "--follow-up");
        } finally {
            System.setOut(original);
        }
        String report = out.toString(StandardCharsets.UTF_8);

        assertThat(code).as(report).isZero();
        assertThat(report).contains("concurrency 2  requests 4").contains("generated 32 tokens each")
                .contains("time to first token").contains("decode per stream").contains("aggregate")
                .contains("prompt processing").contains("follow-up turn").contains("errors 0")
                .contains("ratio " + url + " / " + url).contains("aggregate tokens/s");
    }
}
