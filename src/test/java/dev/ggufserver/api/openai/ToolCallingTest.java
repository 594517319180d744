package dev.ggufserver.api.openai;

import static dev.ggufserver.api.openai.BadTools.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.output.ToolCallFormat;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.server.ServerConfig;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tool calling end to end through the real engine and real HTTP: the tiny model's forecast script calls
 * get_weather in DeepSeek-R1's syntax (and, in its Hermes variant, two tools with split markers).
 */
class ToolCallingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "/v1/chat/completions";
    static final String TOOLS = "'tools':[{'type':'function','function':{'name':'get_weather','description':"
            + "'The weather in a city','parameters':{'type':'object','properties':{'city':{'type':'string'}},"
            + "'required':['city']}}},{'type':'function','function':{'name':'get_time','parameters':{'type':'object',"
            + "'properties':{'zone':{'enum':['CET','UTC']}},'required':['zone']}}}]";
    private static final String FORECAST = "{'role':'user','content':'What is the forecast for Paris?'}";

    /** The tools' descriptions take hundreds of the tiny model's (mostly one-byte) tokens: a larger context. */
    private final Http http = new Http(RealServers.url(RealServers.tinyModel(), 2048, 2));

    private static String request(String user, String extra) {
        return json("{'messages':[" + user + "]," + TOOLS + ",'temperature':0" + extra + "}");
    }

    /** The calls of a stream, folded as the OpenAI SDKs fold them, and the tool-call frames as they came. */
    record Streamed(String reasoning, String content, List<JsonNode> calls, List<JsonNode> callFrames,
                    String finishReason) {
    }

    static Streamed stream(Http http, String body) throws Exception {
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        List<JsonNode> frames = new ArrayList<>();
        List<StringBuilder> arguments = new ArrayList<>();
        List<JsonNode> starts = new ArrayList<>();
        String finish = null;
        for (String frame : http.post(CHAT, body).dataFrames()) {
            if (frame.equals("[DONE]")) {
                continue;
            }
            JsonNode chunk = JSON.readTree(frame);
            for (JsonNode choice : chunk.path("choices")) {
                JsonNode delta = choice.get("delta");
                reasoning.append(delta.path("reasoning_content").asText(""));
                content.append(delta.path("content").asText(""));
                if (delta.has("tool_calls")) {
                    assertThat(delta.get("tool_calls")).hasSize(1); // one call piece per chunk
                    JsonNode call = delta.get("tool_calls").get(0);
                    frames.add(call);
                    int index = call.get("index").asInt();
                    if (call.has("id")) {
                        assertThat(index).isEqualTo(starts.size());
                        starts.add(call);
                        arguments.add(new StringBuilder());
                    }
                    arguments.get(index).append(call.get("function").get("arguments").asText());
                }
                if (choice.hasNonNull("finish_reason")) {
                    finish = choice.get("finish_reason").asText();
                }
            }
        }
        List<JsonNode> calls = new ArrayList<>();
        for (int i = 0; i < starts.size(); i++) {
            calls.add(JSON.createObjectNode().put("name", starts.get(i).get("function").get("name").asText())
                    .put("arguments", arguments.get(i).toString()));
        }
        return new Streamed(reasoning.toString(), content.toString(), calls, frames, finish);
    }

    @Test
    void aCallTheModelMakesComesBackAsToolCallsStreamedOrNot() throws Exception {
        Http.Response r0 = http.post(CHAT, request(FORECAST, ""));
        assertThat(r0.status()).as(r0.body()).isEqualTo(200);
        JsonNode whole = r0.json();
        Streamed streamed = stream(http, request(FORECAST, ",'stream':true"));

        JsonNode choice = whole.get("choices").get(0);
        JsonNode message = choice.get("message");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(message.get("content").isNull()).as(message.toString()).isTrue();
        assertThat(message.get("reasoning_content").asText()).isEqualTo(TinyModel.THINKING);
        JsonNode call = message.get("tool_calls").get(0);
        assertThat(message.get("tool_calls")).hasSize(1);
        assertThat(call.get("id").asText()).matches("call_[0-9A-Za-z]{24}");
        assertThat(call.get("type").asText()).isEqualTo("function");
        assertThat(call.get("function").get("name").asText()).isEqualTo("get_weather");
        String arguments = call.get("function").get("arguments").asText();
        assertThat(JSON.readTree(arguments).get("city").asText()).isEqualTo("Paris");

        assertThat(streamed.finishReason()).isEqualTo("tool_calls");
        assertThat(streamed.reasoning()).isEqualTo(TinyModel.THINKING);
        assertThat(streamed.content()).isEmpty();
        assertThat(streamed.calls()).singleElement().satisfies(c -> {
            assertThat(c.get("name").asText()).isEqualTo("get_weather");
            assertThat(c.get("arguments").asText()).isEqualTo(arguments);
        });
        JsonNode first = streamed.callFrames().get(0);
        assertThat(first.get("type").asText()).isEqualTo("function");
        assertThat(first.get("function").get("arguments").asText()).isEmpty();
        assertThat(streamed.callFrames().subList(1, streamed.callFrames().size())).isNotEmpty().allSatisfy(f -> {
            assertThat(f.has("id")).isFalse();
            assertThat(f.has("type")).isFalse();
            assertThat(f.get("function").has("name")).isFalse();
        });
    }

    @Test
    void requiredMakesAModelThatWouldAnswerCallAToolWithValidArguments() throws Exception {
        JsonNode choice = http.post(CHAT, request("{'role':'user','content':'hi'}", ",'tool_choice':'required'"))
                .json().get("choices").get(0);

        assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(choice.get("message").get("reasoning_content").asText()).isEqualTo(TinyModel.THINKING);
        JsonNode call = choice.get("message").get("tool_calls").get(0).get("function");
        JsonNode arguments = JSON.readTree(call.get("arguments").asText());
        if (call.get("name").asText().equals("get_time")) {
            assertThat(arguments.get("zone").asText()).isIn("CET", "UTC");
        } else {
            assertThat(call.get("name").asText()).isEqualTo("get_weather");
            assertThat(arguments.get("city").isTextual()).isTrue();
        }
    }

    /**
     * --tool-format replaces the family the template shows (R1's here): the model is told Mistral's syntax, is held
     * to it under required, and its answer is read in it, streamed and not.
     */
    @Test
    void theToolFormatOptionReplacesTheTemplatesFamily() throws Exception {
        try (GgufServer server = GgufServer.start(ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 2048, 1,
                2, "tiny-r1").withToolCallFormat(ToolCallFormat.MISTRAL))) {
            Http mistral = new Http("http://127.0.0.1:" + server.port());
            String body = request("{'role':'user','content':'hi'}", ",'tool_choice':'required'");

            JsonNode message = mistral.post(CHAT, body).json().get("choices").get(0).get("message");
            Streamed streamed = stream(mistral, request("{'role':'user','content':'hi'}",
                    ",'tool_choice':'required','stream':true"));

            assertThat(message.get("content").isNull()).isTrue();
            assertThat(message.get("tool_calls")).hasSize(1);
            JsonNode call = message.get("tool_calls").get(0).get("function");
            assertThat(call.get("name").asText()).isIn("get_weather", "get_time");
            assertThat(JSON.readTree(call.get("arguments").asText()).isObject()).isTrue();
            assertThat(streamed.content()).isEmpty();
            assertThat(streamed.finishReason()).isEqualTo("tool_calls");
            assertThat(streamed.calls()).singleElement().satisfies(c -> {
                assertThat(c.get("name").asText()).isEqualTo(call.get("name").asText());
                assertThat(c.get("arguments").asText()).isEqualTo(call.get("arguments").asText());
            });
        }
    }

    @Test
    void aNamedToolIsTheOneCalled() throws Exception {
        JsonNode message = http.post(CHAT, request(FORECAST,
                ",'tool_choice':{'type':'function','function':{'name':'get_time'}}")).json()
                .get("choices").get(0).get("message");

        assertThat(message.get("tool_calls")).hasSize(1);
        JsonNode call = message.get("tool_calls").get(0).get("function");
        assertThat(call.get("name").asText()).isEqualTo("get_time");
        assertThat(JSON.readTree(call.get("arguments").asText()).get("zone").asText()).isIn("CET", "UTC");
    }

    @Test
    void underToolChoiceNoneThereIsNeverACall() {
        JsonNode choice = http.post(CHAT, request(FORECAST, ",'tool_choice':'none'")).json()
                .get("choices").get(0);

        assertThat(choice.get("message").has("tool_calls")).isFalse();
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void withoutAReasonToCallTheModelAnswers() {
        JsonNode choice = http.post(CHAT, request("{'role':'user','content':'hi'}", "")).json()
                .get("choices").get(0);

        assertThat(choice.get("message").get("content").asText()).isEqualTo(TinyModel.ANSWER);
        assertThat(choice.get("message").has("tool_calls")).isFalse();
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void theConversationGoesOnAfterTheToolAnswers() throws Exception {
        JsonNode first = http.post(CHAT, request(FORECAST, "")).json().get("choices").get(0).get("message");
        JsonNode call = first.get("tool_calls").get(0);
        String assistant = JSON.writeValueAsString(JSON.createObjectNode().put("role", "assistant").putNull("content")
                .set("tool_calls", first.get("tool_calls")));
        String tool = JSON.writeValueAsString(JSON.createObjectNode().put("role", "tool")
                .put("tool_call_id", call.get("id").asText()).put("content", "{\"sky\": \"sunny\"}"));

        JsonNode choice = http.post(CHAT, twoTurns(assistant, tool)).json().get("choices").get(0);

        assertThat(choice.get("message").get("content").asText()).isEqualTo(TinyModel.TOOL_ANSWER);
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
    }

    private static String twoTurns(String assistant, String tool) {
        return "{\"messages\":[" + json(FORECAST) + "," + assistant + "," + tool + "]," + json(TOOLS)
                + ",\"temperature\":0}";
    }

    /** Hermes: two calls in one answer, their markers split across tokens; parallel_tool_calls false keeps one. */
    @Test
    void hermesCallsWithSplitMarkersAndParallelToolCalls() throws Exception {
        Http hermes = new Http(RealServers.url(RealServers.tinyModelHermes(), 2048, 1));

        JsonNode both = hermes.post(CHAT, request(FORECAST, "")).json().get("choices").get(0).get("message");
        Streamed streamed = stream(hermes, request(FORECAST, ",'stream':true"));
        JsonNode one = hermes.post(CHAT, request(FORECAST, ",'parallel_tool_calls':false")).json()
                .get("choices").get(0).get("message");

        assertThat(both.get("tool_calls")).hasSize(2);
        assertThat(both.get("tool_calls").get(0).get("function").get("name").asText()).isEqualTo("get_weather");
        assertThat(both.get("tool_calls").get(1).get("function").get("name").asText()).isEqualTo("get_time");
        assertThat(both.get("content").isNull()).isTrue();
        assertThat(streamed.content()).isEmpty(); // no marker text, however it was split
        assertThat(streamed.calls()).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(streamed.calls().get(i).get("arguments").asText())
                    .isEqualTo(both.get("tool_calls").get(i).get("function").get("arguments").asText());
        }
        assertThat(one.get("tool_calls")).hasSize(1);
    }
}
