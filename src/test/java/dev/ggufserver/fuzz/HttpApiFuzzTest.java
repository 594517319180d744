package dev.ggufserver.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the HTTP API over real HTTP: bodies that are random bytes, or JSON whose fields, types and values come
 * from the fuzzer, must never get a 5xx, hang or break the server. Runs for a bounded time in `mvn verify`.
 */
class HttpApiFuzzTest {
    private static final String[] FIELDS = {"model", "messages", "prompt", "stream", "stream_options",
            "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "min_p", "seed", "stop",
            "presence_penalty", "frequency_penalty", "repeat_penalty", "ignore_eos", "logit_bias", "n", "logprobs",
            "tools", "tool_choice", "response_format", "reasoning_format", "echo", "best_of", "suffix", "user"};
    private static final String[] ROLES = {"system", "developer", "user", "assistant", "tool", "", "USER"};
    private static TestServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        server = TestServer.serving(new FakeEngine(256, 4).script("Thinking", "</think>", "answer"),
                Duration.ofSeconds(30));
        http = server.http();
    }

    @AfterAll
    static void stillHealthy() {
        assertThat(http.get("/health").status()).isEqualTo(200);
        assertThat(http.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .status()).isEqualTo(200);
        server.close();
    }

    @FuzzTest(maxDuration = "20s")
    void noBodyGetsAServerError(FuzzedDataProvider data) {
        String path = data.consumeBoolean() ? "/v1/chat/completions" : "/v1/completions";
        String body = data.consumeBoolean() ? data.consumeString(2000) : json(data, 0);
        Http.Response r = http.post(path, body);
        assertThat(r.status()).as(body).isBetween(200, 499);
        if (r.status() != 200 || !r.body().startsWith("data:")) {
            assertThat(r.json().isObject()).as(r.body()).isTrue();
        }
    }

    /** A JSON object built from fuzz data: known fields with values of any shape. */
    private static String json(FuzzedDataProvider data, int depth) {
        StringBuilder out = new StringBuilder("{");
        int fields = data.consumeInt(0, 6);
        for (int i = 0; i < fields; i++) {
            if (i > 0) {
                out.append(',');
            }
            String field = data.consumeBoolean() ? data.pickValue(FIELDS) : data.consumeString(8);
            out.append(quote(field)).append(':');
            if (field.equals("messages") && data.consumeBoolean()) {
                out.append(messages(data));
            } else {
                out.append(value(data, depth));
            }
        }
        return out.append('}').toString();
    }

    private static String messages(FuzzedDataProvider data) {
        StringBuilder out = new StringBuilder("[");
        int n = data.consumeInt(0, 4);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append("{\"role\":").append(quote(data.pickValue(ROLES))).append(",\"content\":")
                    .append(data.consumeBoolean() ? quote(data.consumeString(40)) : "[{\"type\":\"text\",\"text\":"
                            + quote(data.consumeString(20)) + "}]").append('}');
        }
        return out.append(']').toString();
    }

    private static String value(FuzzedDataProvider data, int depth) {
        switch (data.consumeInt(0, depth < 3 ? 9 : 6)) {
            case 0: return "null";
            case 1: return String.valueOf(data.consumeBoolean());
            case 2: return String.valueOf(data.consumeInt());
            case 3: return String.valueOf(data.consumeLong());
            case 4: return String.valueOf(data.consumeRegularDouble());
            case 5: return quote(data.consumeString(30));
            case 6: return data.pickValue(new String[]{"1e999", "-0", "1.0", "9223372036854775808", "0.5", "2"});
            case 7: return "[" + value(data, depth + 1) + "," + value(data, depth + 1) + "]";
            default: return json(data, depth + 1);
        }
    }

    private static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
