package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ggufserver.grammar.SchemaValidation;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import dev.ggufserver.models.GgufReader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Structured outputs through the real native engine on the tiny scripted model, over real HTTP: the thought comes
 * first and free, the answer after it is JSON that validates; streamed equals non-streamed.
 */
class StructuredOutputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A finite schema: the tiny model can only fill it with valid values. */
    static final String SCHEMA = """
            {"type":"object","properties":{"answer":{"enum":["yes","no"]},"sure":{"type":"boolean"},
             "n":{"type":"integer","minimum":1,"maximum":5}},"required":["answer","sure","n"]}""";

    private final Http http = new Http(RealServers.url());

    /** At temperature 0: under a grammar the tiny model's choices are near ties, which sampling would pick at random. */
    static String chat(String user, String extra) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"" + user + "\"}],\"temperature\":0" + extra + "}";
    }

    static String jsonSchemaFormat(String schema) {
        return ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"verdict\",\"strict\":true,"
                + "\"schema\":" + schema + "}}";
    }

    /** A stream folded into the shape of a non-streamed message: reasoning, content, finish reason, usage. */
    static ObjectNode fold(Http.Response response) throws Exception {
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        ObjectNode folded = JSON.createObjectNode();
        for (String frame : response.dataFrames()) {
            if (frame.equals("[DONE]")) {
                continue;
            }
            JsonNode chunk = JSON.readTree(frame);
            assertThat(chunk.has("error")).as(frame).isFalse();
            if (chunk.hasNonNull("usage")) {
                folded.set("usage", chunk.get("usage"));
            }
            for (JsonNode choice : chunk.path("choices")) {
                reasoning.append(choice.path("delta").path("reasoning_content").asText(""));
                content.append(choice.path("delta").path("content").asText(""));
                if (choice.hasNonNull("finish_reason")) {
                    folded.put("finish_reason", choice.get("finish_reason").asText());
                }
            }
        }
        folded.put("reasoning_content", reasoning.toString());
        folded.put("content", content.toString());
        return folded;
    }

    private static void assertValid(String content, String schema) throws Exception {
        assertThat(SchemaValidation.problems(content, JSON.readTree(schema))).as(content).isEmpty();
    }

    @Test
    void aThinkingModelThinksFreelyThenAnswersJsonThatValidatesStreamedOrNot() throws Exception {
        Http.Response whole = http.post("/v1/chat/completions", chat("hi", jsonSchemaFormat(SCHEMA)));
        Http.Response streamed = http.post("/v1/chat/completions", chat("hi", jsonSchemaFormat(SCHEMA)
                + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));

        assertThat(whole.status()).as(whole.body()).isEqualTo(200);
        JsonNode choice = whole.json().get("choices").get(0);
        JsonNode message = choice.get("message");
        assertThat(message.get("reasoning_content").asText()).isEqualTo(TinyModel.THINKING);
        String content = message.get("content").asText();
        assertValid(content, SCHEMA);
        assertThat(JSON.readTree(content).get("answer").asText()).isIn("yes", "no");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
        JsonNode usage = whole.json().get("usage");
        assertThat(usage.get("completion_tokens_details").get("reasoning_tokens").asInt())
                .isEqualTo(TinyModel.CHAT_REASONING_TOKENS);
        assertThat(usage.get("completion_tokens").asInt()).isGreaterThan(TinyModel.CHAT_REASONING_TOKENS);

        ObjectNode folded = fold(streamed);
        assertThat(folded.get("reasoning_content").asText()).isEqualTo(TinyModel.THINKING);
        assertThat(folded.get("content").asText()).isEqualTo(content);
        assertThat(folded.get("finish_reason").asText()).isEqualTo("stop");
        assertThat(folded.get("usage")).isEqualTo(usage);
    }

    /**
     * Greedy, the tiny model would write one endless key (string characters beat the closing quote), so every token
     * with a quote is banned: the only object left is an empty one, where unconstrained the model says "Hello!".
     */
    @Test
    void jsonObjectGivesOneJsonObjectAfterTheThought() throws Exception {
        StringBuilder bias = new StringBuilder();
        List<String> tokens = GgufReader.read(RealServers.tinyModel()).list("tokenizer.ggml.tokens", String.class);
        for (int id = 0; id < tokens.size(); id++) {
            if (tokens.get(id).contains("\"")) {
                bias.append(bias.isEmpty() ? "" : ",").append('"').append(id).append("\":-100");
            }
        }
        assertThat(bias).isNotEmpty();

        JsonNode message = http.post("/v1/chat/completions", chat("hi",
                ",\"response_format\":{\"type\":\"json_object\"},\"logit_bias\":{" + bias + "}")).json()
                .get("choices").get(0).get("message");

        assertThat(message.get("reasoning_content").asText()).isEqualTo(TinyModel.THINKING);
        JsonNode content = JSON.readTree(message.get("content").asText());
        assertThat(content.isObject()).as(message.toString()).isTrue();
        assertThat(content.isEmpty()).isTrue();
    }

    @Test
    void aModelThatWritesItsOwnThinkTagThinksFirstToo() throws Exception {
        Http own = new Http(RealServers.url(RealServers.tinyModelWithoutThinkPrefill(), 512, 1));

        JsonNode body = own.post("/v1/chat/completions", chat("hi", jsonSchemaFormat(SCHEMA))).json();

        JsonNode message = body.get("choices").get(0).get("message");
        assertThat(message.get("reasoning_content").asText()).isEqualTo(TinyModel.THINKING);
        assertValid(message.get("content").asText(), SCHEMA);
        // the model wrote "<think>" and "\n" itself: two more thinking tokens
        assertThat(body.get("usage").get("completion_tokens_details").get("reasoning_tokens").asInt())
                .isEqualTo(TinyModel.CHAT_REASONING_TOKENS + 2);
    }

    @Test
    void aModelWithoutThinkingIsConstrainedFromTheFirstToken() throws Exception {
        Path model = RealServers.tinyModelWithoutThinking();
        Http plain = new Http(RealServers.url(model, 512, 1));
        // unconstrained, this model opens a thought (it is the thinking tiny model under another template)
        String free = plain.post("/v1/chat/completions", chat("hi", ",\"reasoning_format\":\"none\"")).json()
                .get("choices").get(0).get("message").get("content").asText();
        assertThat(free).startsWith(ThinkTag.OPEN);

        JsonNode message = plain.post("/v1/chat/completions", chat("hi", jsonSchemaFormat(SCHEMA)
                + ",\"reasoning_format\":\"none\"")).json().get("choices").get(0).get("message");

        assertValid(message.get("content").asText(), SCHEMA);
    }

    @Test
    void aGrammarOfTheClientsOwnHoldsAfterTheThought() {
        JsonNode message = http.post("/v1/chat/completions",
                chat("hi", ",\"grammar\":\"root ::= \\\"yes\\\" | \\\"no\\\"\"")).json()
                .get("choices").get(0).get("message");

        assertThat(message.get("reasoning_content").asText()).isEqualTo(TinyModel.THINKING);
        assertThat(message.get("content").asText()).isIn("yes", "no");
    }

    @Test
    void aRawCompletionIsConstrainedFromItsFirstToken() {
        JsonNode choice = http.post("/v1/completions",
                "{\"prompt\":\"Hello\",\"grammar\":\"root ::= \\\"yes\\\" | \\\"no\\\"\"}").json()
                .get("choices").get(0);

        assertThat(choice.get("text").asText()).isIn("yes", "no");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void aLimitThatCutsTheAnswerEndsWithLengthAndTheTextSoFar() throws Exception {
        int limit = TinyModel.CHAT_REASONING_TOKENS + 2;

        JsonNode body = http.post("/v1/chat/completions", chat("hi", jsonSchemaFormat(SCHEMA)
                + ",\"max_tokens\":" + limit)).json();
        JsonNode streamed = fold(http.post("/v1/chat/completions", chat("hi", jsonSchemaFormat(SCHEMA)
                + ",\"max_tokens\":" + limit + ",\"stream\":true")));

        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        String content = choice.get("message").get("content").asText();
        assertThat(content).startsWith("{");
        assertThat(SchemaValidation.problems(content, JSON.readTree(SCHEMA))).isNotEmpty(); // cut: it may not parse
        assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(limit);
        assertThat(streamed.get("content").asText()).isEqualTo(content);
        assertThat(streamed.get("finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void aThoughtThatUsesTheWholeLimitLeavesNoAnswer() {
        JsonNode choice = http.post("/v1/chat/completions", chat("loop", jsonSchemaFormat(SCHEMA)
                + ",\"max_tokens\":20")).json().get("choices").get(0);

        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        assertThat(choice.get("message").get("content").asText()).isEmpty();
        assertThat(choice.get("message").get("reasoning_content").asText()).startsWith("Round and round");
    }

    /** The tags as the tiny model writes them. */
    private static final class ThinkTag {
        static final String OPEN = "<think>";
    }
}
