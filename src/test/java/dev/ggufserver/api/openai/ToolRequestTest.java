package dev.ggufserver.api.openai;

import static dev.ggufserver.api.openai.BadTools.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.api.openai.RequestParser.ChatRequest;
import dev.ggufserver.api.openai.RequestParser.ToolChoice;
import dev.ggufserver.api.openai.request.ChatCompletionRequest;
import dev.ggufserver.api.openai.request.FunctionDefinition;
import dev.ggufserver.api.openai.request.Tool;
import dev.ggufserver.server.Json;
import dev.ggufserver.template.ChatMessage;
import dev.ggufserver.template.ToolCall;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/** The request side of tool calling: binding of tools and tool_choice, validation, and what the handlers get. */
class ToolRequestTest {
    private static final ObjectMapper BINDER = RequestParser.strictCopy(Json.mapper());
    private static final RequestParser PARSER = new RequestParser(Json.mapper(), 100, 10_000);

    private static ChatRequest chat(String readable) {
        return PARSER.chat(json(readable).getBytes(StandardCharsets.UTF_8));
    }

    private static ApiException error(String body) {
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> PARSER.chat(body.getBytes(StandardCharsets.UTF_8)));
        assertThat(e).as(body).isNotNull();
        return e;
    }

    @Test
    void toolsAndToolChoiceBindAsOpenAiNamesThem() throws Exception {
        ChatCompletionRequest r = BINDER.readValue(json("{'tools':[" + BadTools.WEATHER + ",{'type':'function',"
                + "'function':{'name':'now','strict':true}}],'tool_choice':'required','parallel_tool_calls':false}"),
                ChatCompletionRequest.class);
        Tool weather = r.tools().get(0);
        FunctionDefinition now = r.tools().get(1).function();

        assertThat(weather.type()).isEqualTo("function");
        assertThat(weather.function().name()).isEqualTo("get_weather");
        assertThat(weather.function().description()).isEqualTo("Weather");
        assertThat(weather.function().parameters().get("required").get(0).asText()).isEqualTo("city");
        assertThat(weather.function().strict()).isNull();
        assertThat(now.strict()).isTrue();
        assertThat(now.parameters()).isNull();
        assertThat(r.toolChoice()).isEqualTo(new dev.ggufserver.api.openai.request.ToolChoice("required", null));
        assertThat(r.parallelToolCalls()).isFalse();
        assertThat(BINDER.readValue(json("{'tool_choice':{'type':'function','function':{'name':'f'}}}"),
                ChatCompletionRequest.class).toolChoice())
                .isEqualTo(new dev.ggufserver.api.openai.request.ToolChoice("function", "f"));
    }

    @Test
    void validatedToolsAndTheConversationsCallsReachTheHandlers() {
        ChatRequest r = chat("{'messages':[{'role':'system','content':'Be brief.','name':'rules'},"
                + BadTools.USER + "," + BadTools.CALL + "," + BadTools.ANSWER + ",{'role':'user','content':'and?'}],"
                + "'tools':[" + BadTools.WEATHER + ",{'type':'function','function':{'name':'now','strict':true}}],"
                + "'tool_choice':'none','parallel_tool_calls':false}");

        assertThat(r.tools()).extracting(RequestParser.FunctionTool::name).containsExactly("get_weather", "now");
        assertThat(r.tools().get(0).description()).isEqualTo("Weather");
        assertThat(r.tools().get(0).parameters().get("properties").has("city")).isTrue();
        assertThat(r.tools().get(0).strict()).isFalse();
        // no parameters: a function without arguments, as OpenAI reads it
        assertThat(r.tools().get(1).parameters().toString()).isEqualTo("{\"type\":\"object\",\"properties\":{}}");
        assertThat(r.tools().get(1).strict()).isTrue();
        assertThat(r.toolChoice()).isEqualTo(ToolChoice.NONE);
        assertThat(r.parallelToolCalls()).isFalse();
        assertThat(r.messages()).containsExactly(
                new ChatMessage("system", "Be brief.", "rules", List.of(), null),
                new ChatMessage("user", "weather?"),
                new ChatMessage("assistant", "", null,
                        List.of(new ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}")), null),
                new ChatMessage("tool", "22 degrees", null, List.of(), "call_1"),
                new ChatMessage("user", "and?"));
    }

    @Test
    void withoutToolsNothingChangesAndParallelToolCallsDefaultsToTrue() {
        ChatRequest r = chat("{'messages':[" + BadTools.USER + "],'tools':[],'tool_choice':'none'}");

        assertThat(r.tools()).isEmpty();
        assertThat(r.toolChoice()).isEqualTo(ToolChoice.NONE);
        assertThat(r.parallelToolCalls()).isTrue();
    }

    @Test
    void toolsTheModelMayCallCannotBeCombinedWithAStructuredOutput() {
        for (String choice : List.of("", ",'tool_choice':'auto'", ",'tool_choice':'required'",
                ",'tool_choice':{'type':'function','function':{'name':'get_weather'}}")) {
            ApiException e = error(json("{'messages':[" + BadTools.USER + "],'tools':[" + BadTools.WEATHER + "]"
                    + choice + ",'response_format':{'type':'json_object'}}"));

            assertThat(e.status()).isEqualTo(400);
            assertThat(e.body().error().param()).as(choice).isEqualTo("tools");
            assertThat(e.body().error().message()).contains("cannot be combined");
        }
        ChatRequest none = chat(json("{'messages':[" + BadTools.USER + "],'tools':[" + BadTools.WEATHER + "],"
                + "'tool_choice':'none','response_format':{'type':'json_object'}}"));
        assertThat(none.common().output()).isNotNull();
        // other problems are named first
        assertThat(error(json("{'messages':[" + BadTools.USER + "],'tools':[" + BadTools.WEATHER + "],"
                + "'temperature':9,'response_format':{'type':'json_object'}}")).body().error().param())
                .isEqualTo("temperature");
    }

    @Test
    void everyMalformedPartOfToolUseIsA400NamingIt() {
        SoftAssertions soft = new SoftAssertions();
        for (BadTools.Case c : BadTools.cases()) {
            ApiException e = catchThrowableOfType(ApiException.class,
                    () -> PARSER.chat(c.body().getBytes(StandardCharsets.UTF_8)));
            soft.assertThat(e).as(c.toString()).isNotNull();
            if (e == null) {
                continue;
            }
            soft.assertThat(e.status()).as(c.toString()).isEqualTo(400);
            soft.assertThat(e.body().error().param()).as(c.toString()).isEqualTo(c.param());
            soft.assertThat(e.body().error().message()).as(c.toString()).contains(c.words());
            if (c.param().startsWith("tools[0].function.parameters.properties")) {
                soft.assertThat(e.body().error().code()).as(c.toString()).isEqualTo("unsupported_schema");
            }
        }
        soft.assertAll();
    }

    @Test
    void toolDefinitionsAndArgumentsCountTowardsThePromptLimit() {
        RequestParser small = new RequestParser(Json.mapper(), 100, 200);
        String body = json("{'messages':[" + BadTools.USER + "],'tool_choice':'none','tools':[{'type':'function',"
                + "'function':{'name':'f','description':'" + "d".repeat(300) + "'}}]}");

        ApiException e = catchThrowableOfType(ApiException.class,
                () -> small.chat(body.getBytes(StandardCharsets.UTF_8)));

        assertThat(e.body().error().code()).isEqualTo("prompt_too_long");
    }

    @Test
    void earlierThinkingIsStrippedAndEarlierCallsAreKept() {
        List<ToolCall> calls = List.of(new ToolCall("call_1", "get_weather", "{}"));
        List<ChatMessage> stripped = CompletionHandlers.withoutEarlierThinking(List.of(
                new ChatMessage("assistant", "<think>\nhm\n</think>\n\nchecking", null, calls, null),
                new ChatMessage("tool", "sunny", null, List.of(), "call_1")));

        assertThat(stripped).containsExactly(new ChatMessage("assistant", "checking", null, calls, null),
                new ChatMessage("tool", "sunny", null, List.of(), "call_1"));
    }
}
