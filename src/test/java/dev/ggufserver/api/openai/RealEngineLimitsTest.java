package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserver.generation.RunStats;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Context limits, bad input and departing clients against the real native engine. */
class RealEngineLimitsTest {
    private static final String LOOP = "{\"messages\":[{\"role\":\"user\",\"content\":\"loop\"}]";

    @Test
    void withoutMaxTokensGenerationFillsTheContextAndEndsWithLength() {
        Http http = new Http(RealServers.url(64, 1));

        JsonNode body = http.post("/v1/chat/completions", LOOP + "}").json();

        int prompt = body.get("usage").get("prompt_tokens").asInt();
        assertThat(body.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
        assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(64 - prompt);
        // a max_tokens beyond the context is clamped, not an error
        JsonNode clamped = http.post("/v1/chat/completions", LOOP + ",\"max_tokens\":100000}").json();
        assertThat(clamped.get("usage").get("completion_tokens").asInt()).isEqualTo(64 - prompt);
    }

    @Test
    void aPromptThatFillsTheContextIsRejectedWithBothNumbers() {
        Http http = new Http(RealServers.url(64, 1));
        String words = "word ".repeat(20); // 100 byte tokens

        Http.Response r = http.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\""
                + words + "\"}]}");

        assertThat(r.status()).isEqualTo(400);
        JsonNode error = r.json().get("error");
        assertThat(error.get("code").asText()).isEqualTo("context_length_exceeded");
        // BOS, <｜User｜>, 100 byte tokens, <｜Assistant｜>, <think>, \n
        assertThat(error.get("message").asText()).contains("64 tokens").contains("105 tokens");
    }

    @Test
    void hostileNumbersNeverReachTheEngineAndTheServerKeepsServing() {
        Http http = new Http(RealServers.url());
        for (String field : new String[]{"\"temperature\":1e999", "\"top_p\":-1e-300", "\"top_k\":1e12",
                "\"seed\":184467440737095516150", "\"max_tokens\":-1", "\"repeat_penalty\":0",
                "\"logit_bias\":{\"3\":1e999}", "\"min_p\":NaN"}) {
            Http.Response r = http.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":"
                    + "\"hi\"}]," + field + "}");
            assertThat(r.status()).as(field).isEqualTo(400);
        }
        JsonNode ok = http.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"temperature\":0,\"top_k\":1,\"seed\":-5,\"logit_bias\":{\"3\":-100}}").json();
        assertThat(ok.get("choices").get(0).get("message").get("content").asText()).isEqualTo(TinyModel.ANSWER);
    }

    @Test
    void aClientThatLeavesMidStreamStopsItsGenerationAndFreesTheSlot() throws Exception {
        // one slot with room for 30,000 tokens: if the generation went on, the next request would wait for it
        GgufServer server = RealServers.server(RealServers.tinyModel(), 30_000, 1);
        RunStats stats = server.host().current().orElseThrow().runner().stats();
        long goneBefore = stats.clientGone();
        Http http = new Http("http://127.0.0.1:" + server.port());

        HttpResponse<InputStream> response = http.postStream("/v1/chat/completions", LOOP + ",\"stream\":true}");
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            int dataLines = 0;
            while (dataLines < 5) {
                String line = reader.readLine();
                assertThat(line).isNotNull();
                if (line.startsWith("data: ")) {
                    dataLines++;
                }
            }
        } // closing the body hangs up

        assertThat(stats.awaitClientGone(goneBefore + 1, 30, TimeUnit.SECONDS)).isTrue();
        assertThat(stats.tokensOfLastClientGone()).isLessThan(20_000);
        JsonNode next = http.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .json();
        assertThat(next.get("choices").get(0).get("message").get("content").asText()).isEqualTo(TinyModel.ANSWER);
    }

    @Test
    void aModelThatWritesItsOwnThinkTagIsSplitTheSameWay() {
        Http http = new Http(RealServers.url(RealServers.tinyModelWithoutThinkPrefill(), 512, 1));

        JsonNode body = http.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .json();

        JsonNode message = body.get("choices").get(0).get("message");
        assertThat(message.get("reasoning_content").asText()).isEqualTo(TinyModel.THINKING);
        assertThat(message.get("content").asText()).isEqualTo(TinyModel.ANSWER);
        // the model wrote "<think>" and "\n" itself: two more tokens, both thinking
        assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(TinyModel.CHAT_COMPLETION_TOKENS + 2);
        assertThat(body.get("usage").get("completion_tokens_details").get("reasoning_tokens").asInt())
                .isEqualTo(TinyModel.CHAT_REASONING_TOKENS + 2);
    }
}
