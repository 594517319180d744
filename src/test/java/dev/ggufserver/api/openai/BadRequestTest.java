package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.TestServer;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad request gets a 4xx in OpenAI's error shape naming the field, and the server answers normally after. */
class BadRequestTest {
    private static final String CHAT = "/v1/chat/completions";
    private static final String TEXT = "/v1/completions";
    private static final String USER = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    private static FakeEngine engine;
    private static TestServer server;

    @BeforeAll
    static void start() {
        engine = new FakeEngine(200, 2).script("</think>ok");
        server = TestServer.serving(engine, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static Arguments chat(String fields, String param) {
        return Arguments.of(CHAT, "{" + fields + "}", 400, param);
    }

    private static Arguments chatWithUser(String field, String param) {
        return Arguments.of(CHAT, "{" + USER + "," + field + "}", 400, param);
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                Arguments.of(CHAT, "{", 400, null),
                Arguments.of(CHAT, "[]", 400, null),
                Arguments.of(CHAT, "", 400, null),
                Arguments.of(CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} trailing", 400, null),
                Arguments.of(CHAT, "{" + USER + ",\"temperature\":NaN}", 400, null),
                chat("", "messages"),
                chat("\"messages\":[]", "messages"),
                chat("\"messages\":\"hi\"", "messages"),
                chat("\"messages\":[\"hi\"]", "messages[0]"),
                chat("\"messages\":[{\"role\":\"user\"}]", "messages[0].content"),
                chat("\"messages\":[{\"content\":\"x\"}]", "messages[0].role"),
                chat("\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]", "messages[0].role"),
                chat("\"messages\":[{\"role\":\"tool\",\"content\":\"x\",\"tool_call_id\":\"1\"}]",
                        "messages[0].tool_call_id"), // it answers no earlier call
                chat("\"messages\":[{\"role\":\"user\",\"content\":42}]", "messages[0].content"),
                chat("\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                        + "{\"url\":\"http://x\"}}]}]", "messages[0].content[0].type"),
                chat("\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]",
                        "messages[0].content[0].text"),
                chat("\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"1\"}]}]",
                        "messages[0].tool_calls[0].function"),
                chatWithUser("\"model\":5", "model"),
                chatWithUser("\"temperature\":3", "temperature"),
                chatWithUser("\"temperature\":-0.5", "temperature"),
                chatWithUser("\"temperature\":\"hot\"", "temperature"),
                chatWithUser("\"temperature\":1e400", "temperature"),
                chatWithUser("\"top_p\":1.5", "top_p"),
                chatWithUser("\"top_k\":-1", "top_k"),
                chatWithUser("\"top_k\":2.5", "top_k"),
                chatWithUser("\"min_p\":2", "min_p"),
                chatWithUser("\"presence_penalty\":3", "presence_penalty"),
                chatWithUser("\"frequency_penalty\":-2.5", "frequency_penalty"),
                chatWithUser("\"repeat_penalty\":0", "repeat_penalty"),
                chatWithUser("\"repeat_penalty\":-1e308", "repeat_penalty"),
                chatWithUser("\"max_tokens\":0", "max_tokens"),
                chatWithUser("\"max_tokens\":1.5", "max_tokens"),
                chatWithUser("\"max_tokens\":1e20", "max_tokens"),
                chatWithUser("\"max_tokens\":\"10\"", "max_tokens"),
                chatWithUser("\"max_completion_tokens\":-3", "max_completion_tokens"),
                chatWithUser("\"seed\":\"x\"", "seed"),
                chatWithUser("\"seed\":1e30", "seed"),
                chatWithUser("\"stream\":\"yes\"", "stream"),
                chatWithUser("\"stream_options\":{\"include_usage\":true}", "stream_options"),
                chatWithUser("\"stream\":true,\"stream_options\":{\"include_usage\":1}",
                        "stream_options.include_usage"),
                chatWithUser("\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]", "stop"),
                chatWithUser("\"stop\":[1]", "stop[0]"),
                chatWithUser("\"stop\":\"\"", "stop"),
                chatWithUser("\"stop\":{}", "stop"),
                chatWithUser("\"ignore_eos\":1", "ignore_eos"),
                chatWithUser("\"n\":2", "n"),
                chatWithUser("\"logprobs\":true", "logprobs"),
                chatWithUser("\"top_logprobs\":2", "top_logprobs"),
                chatWithUser("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a b\"}}]",
                        "tools[0].function.name"),
                chatWithUser("\"tool_choice\":\"auto\"", "tool_choice"),
                chatWithUser("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{}}",
                        "response_format.json_schema.name"),
                chatWithUser("\"response_format\":{\"type\":\"json_object\"},\"ignore_eos\":true", "ignore_eos"),
                chatWithUser("\"response_format\":{\"type\":\"xml\"}", "response_format.type"),
                chatWithUser("\"grammar\":\"root ::= (\"", "grammar"),
                chatWithUser("\"reasoning_format\":\"auto\"", "reasoning_format"),
                chatWithUser("\"reasoning_effort\":\"turbo\"", "reasoning_effort"),
                chatWithUser("\"reasoning_effort\":3", "reasoning_effort"),
                chatWithUser("\"reasoning_effort\":\"HIGH\"", "reasoning_effort"),
                chatWithUser("\"thinking_budget_tokens\":-1", "thinking_budget_tokens"),
                chatWithUser("\"thinking_budget_tokens\":2.5", "thinking_budget_tokens"),
                chatWithUser("\"thinking_budget_tokens\":\"4\"", "thinking_budget_tokens"),
                chatWithUser("\"reasoning_budget_tokens\":-8", "reasoning_budget_tokens"),
                chatWithUser("\"thinking_budget_tokens\":4,\"reasoning_budget_tokens\":5", "reasoning_budget_tokens"),
                chatWithUser("\"chat_template_kwargs\":\"enable_thinking=false\"", "chat_template_kwargs"),
                chatWithUser("\"chat_template_kwargs\":[false]", "chat_template_kwargs"),
                chatWithUser("\"chat_template_kwargs\":{\"enable_thinking\":\"false\"}",
                        "chat_template_kwargs.enable_thinking"),
                chatWithUser("\"chat_template_kwargs\":{\"enable_thinking\":0}",
                        "chat_template_kwargs.enable_thinking"),
                chatWithUser("\"chat_template_kwargs\":{\"messages\":[]}", "chat_template_kwargs.messages"),
                chatWithUser("\"chat_template_kwargs\":{\"add_generation_prompt\":false}",
                        "chat_template_kwargs.add_generation_prompt"),
                chatWithUser("\"logit_bias\":{\"abc\":1}", "logit_bias"),
                chatWithUser("\"logit_bias\":{\"5\":200}", "logit_bias"),
                chatWithUser("\"logit_bias\":[1]", "logit_bias"),
                Arguments.of(TEXT, "{}", 400, "prompt"),
                Arguments.of(TEXT, "{\"prompt\":[1,2,3]}", 400, "prompt"),
                Arguments.of(TEXT, "{\"prompt\":[\"a\",\"b\"]}", 400, "prompt"),
                Arguments.of(TEXT, "{\"prompt\":\"a\",\"echo\":true}", 400, "echo"),
                Arguments.of(TEXT, "{\"prompt\":\"a\",\"best_of\":3}", 400, "best_of"),
                Arguments.of(TEXT, "{\"prompt\":\"a\",\"suffix\":\"b\"}", 400, "suffix"),
                Arguments.of(TEXT, "{\"prompt\":\"a\",\"logprobs\":2}", 400, "logprobs"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("badRequests")
    void answersWithTheOpenAiErrorShapeNamingTheField(String path, String body, int status, String param) {
        Http.Response r = server.http().post(path, body);

        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        JsonNode error = r.json().get("error");
        assertThat(error.get("message").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
        if (param == null) {
            assertThat(error.get("param").isNull()).isTrue();
        } else {
            assertThat(error.get("param").asText()).isEqualTo(param);
        }
        assertThat(server.http().post(CHAT, "{" + USER + "}").status()).as("still serving").isEqualTo(200);
    }

    static Stream<Arguments> badControls() {
        return Stream.of(
                Arguments.of("{}", 400, "id"),
                Arguments.of("{\"id\":5,\"action\":\"reasoning_end\"}", 400, "id"),
                Arguments.of("{\"id\":\"\",\"action\":\"reasoning_end\"}", 400, "id"),
                Arguments.of("{\"id\":\"chatcmpl-x\"}", 400, "action"),
                Arguments.of("{\"id\":\"chatcmpl-x\",\"action\":\"stop\"}", 400, "action"),
                Arguments.of("[\"chatcmpl-x\"]", 400, null),
                Arguments.of("{\"id\":\"chatcmpl-nothing-runs-by-this-id\",\"action\":\"reasoning_end\"}", 404,
                        "id"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badControls")
    void aBadOrUnknownThinkingControlNamesTheField(String body, int status, String param) {
        Http.Response r = server.http().post(CHAT + "/control", body);

        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode error = r.json().get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("message").asText()).isNotBlank();
        if (param == null) {
            assertThat(error.get("param").isNull()).isTrue();
        } else {
            assertThat(error.get("param").asText()).isEqualTo(param);
        }
        if (status == 404) {
            assertThat(error.get("code").asText()).isEqualTo("completion_not_found");
        }
    }

    @Test
    void aPromptLongerThanTheContextNamesBothNumbers() {
        String longText = "x".repeat(500);
        Http.Response r = server.http().post(CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"" + longText
                + "\"}]}");

        assertThat(r.status()).isEqualTo(400);
        JsonNode error = r.json().get("error");
        assertThat(error.get("code").asText()).isEqualTo("context_length_exceeded");
        assertThat(error.get("param").asText()).isEqualTo("messages");
        assertThat(error.get("message").asText()).contains("200 tokens").contains("529 tokens");

        Http.Response text = server.http().post(TEXT, "{\"prompt\":\"" + longText + "\"}");
        assertThat(text.json().get("error").get("param").asText()).isEqualTo("prompt");
    }

    @Test
    void aTenMegabyteBodyIs413AndTheServerCarriesOn() {
        byte[] body = new byte[10 * 1024 * 1024];
        Arrays.fill(body, (byte) ' ');
        body[0] = '{';
        body[body.length - 1] = '}';

        Http.Response r = server.http().post(CHAT, body);

        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("error").get("code").asText()).isEqualTo("request_too_large");
        assertThat(server.http().post(CHAT, "{" + USER + "}").status()).isEqualTo(200);
    }

    @Test
    void unknownFieldsAreIgnoredAndDeveloperMessagesAreSystemMessages() {
        Http.Response r = server.http().post(CHAT, "{\"messages\":[{\"role\":\"developer\",\"content\":\"be nice\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"h\"},{\"type\":\"text\",\"text\":\"i\"}]}],"
                + "\"user\":\"abc\",\"metadata\":{\"a\":\"b\"},\"some_future_field\":[1,2],\"n\":1,"
                + "\"response_format\":{\"type\":\"text\"},\"tool_choice\":\"none\",\"logprobs\":false}");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(engine.requests.get(engine.requests.size() - 1).prompt())
                .isEqualTo("be nice<｜User｜>hi<｜Assistant｜><think>\n");
    }

    @Test
    void bodiesThatAreNotWellFormedUtf8AreRefusedOverlongFormsToo() {
        byte[][] bodies = {
            {(byte) 0xC0, (byte) 0xAF}, // an overlong "/", which Jackson alone decodes
            {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, // the same in three bytes
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a UTF-16 surrogate written as UTF-8
            {(byte) 0xFF},
        };
        for (byte[] bad : bodies) {
            byte[] head = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi".getBytes(StandardCharsets.UTF_8);
            byte[] tail = "\"}]}".getBytes(StandardCharsets.UTF_8);
            byte[] body = new byte[head.length + bad.length + tail.length];
            System.arraycopy(head, 0, body, 0, head.length);
            System.arraycopy(bad, 0, body, head.length, bad.length);
            System.arraycopy(tail, 0, body, head.length + bad.length, tail.length);

            Http.Response r = server.http().post(CHAT, body);

            assertThat(r.status()).as(Arrays.toString(bad)).isEqualTo(400);
            assertThat(r.json().get("error").get("message").asText()).contains("UTF-8");
        }
        assertThat(server.http().post(CHAT, "{" + USER + "}").status()).isEqualTo(200);
    }
}
