package dev.ggufserver.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Long runs of one character class crashed llama.cpp b4916's pre-tokenizer (a recursive std::regex, about 4,000
 * letters on a 1 MiB stack). Through the real engine process: whatever the class and the length, in chat content
 * or a raw prompt, the answer is an answer or a context error, and the engine process is the same one afterwards.
 */
class LongRunsPropertyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** One of each class the pre-tokenizer's regexes match runs of, and some that mix. */
    private static final List<String> UNITS = List.of("a", "aB", "ж", "ب", "中", "7", "!", ".,;", " ", "\n", "\t",
            " \n", "\r\n", "\u0301", "a\u0301", "😀", "\u200b", "_", "<", "'s");
    private static GgufServer server;
    private static Http http;
    private static long pid;

    @BeforeContainer
    static void start() {
        server = RealServers.server(RealServers.tinyModel(), 16_384, 1);
        http = new Http("http://127.0.0.1:" + server.port());
        pid = server.engine().workerPid().orElseThrow();
    }

    @AfterContainer
    static void sameEngineProcess() {
        assertThat(server.engine().workerPid().orElseThrow()).isEqualTo(pid);
        assertThat(server.engine().restarts()).isZero();
    }

    @Provide
    Arbitrary<String> unit() {
        return Arbitraries.of(UNITS);
    }

    @Property(tries = 25)
    void noRunOfOneClassTakesTheEngineDown(@ForAll("unit") String unit, @ForAll @IntRange(min = 1_000, max = 12_000)
            int length, @ForAll boolean chat) throws Exception {
        String run = unit.repeat(Math.max(1, length / unit.length()));
        String body = chat
                ? JSON.writeValueAsString(Map.of("messages", List.of(Map.of("role", "user", "content", run)),
                        "max_tokens", 1))
                : JSON.writeValueAsString(Map.of("prompt", "x" + run + "y", "max_tokens", 1));

        Http.Response response = http.post(chat ? "/v1/chat/completions" : "/v1/completions", body);

        if (response.status() == 400) {
            assertThat(response.json().get("error").get("code").asText()).isEqualTo("context_length_exceeded");
        } else {
            assertThat(response.status()).as(response.body()).isEqualTo(200);
            assertThat(response.json().get("usage").get("completion_tokens").asInt()).isEqualTo(1);
        }
        assertThat(server.engine().workerPid().orElseThrow()).as("the engine process").isEqualTo(pid);
    }
}
