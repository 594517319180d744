package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.api.openai.request.ChatCompletionRequest;
import dev.ggufserver.api.openai.request.ChatMessage;
import dev.ggufserver.api.openai.request.CompletionRequest;
import dev.ggufserver.api.openai.request.MessageContent;
import dev.ggufserver.api.openai.request.Prompt;
import dev.ggufserver.api.openai.request.ResponseFormat;
import dev.ggufserver.api.openai.request.Stop;
import dev.ggufserver.server.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The request records, their union deserializers, and how binding errors become a 400 naming the JSON path. */
class ChatCompletionRequestTest {
    private static final ObjectMapper BINDER = RequestParser.strictCopy(Json.mapper());
    private static final RequestParser PARSER = new RequestParser(Json.mapper(), 100, 10_000);
    private static final String USER = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    private static ChatCompletionRequest chat(String json) throws Exception {
        return BINDER.readValue(json, ChatCompletionRequest.class);
    }

    private static OpenAiTypes.ErrorBody chatError(String json) {
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> PARSER.chat(json.getBytes(StandardCharsets.UTF_8)));
        assertThat(e).as(json).isNotNull();
        assertThat(e.status()).isEqualTo(400);
        return e.body().error();
    }

    private static OpenAiTypes.ErrorBody textError(String json) {
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> PARSER.completion(json.getBytes(StandardCharsets.UTF_8)));
        assertThat(e).as(json).isNotNull();
        return e.body().error();
    }

    @Test
    void bindsSnakeCaseFieldsAndIgnoresUnknownOnes() throws Exception {
        ChatCompletionRequest r = chat("{" + USER + ",\"model\":\"m\",\"stream\":true,\"stream_options\":"
                + "{\"include_usage\":true,\"x\":1},\"max_completion_tokens\":5,\"top_p\":0.5,\"wat\":[1],"
                + "\"reasoning_format\":\"none\",\"parallel_tool_calls\":false,\"chat_template_kwargs\":{}}");
        assertThat(r.model()).isEqualTo("m");
        assertThat(r.stream()).isTrue();
        assertThat(r.streamOptions().includeUsage()).isTrue();
        assertThat(r.maxCompletionTokens().asInt()).isEqualTo(5);
        assertThat(r.topP().asDouble()).isEqualTo(0.5);
        assertThat(r.reasoningFormat()).isEqualTo("none");
        assertThat(r.parallelToolCalls()).isFalse();
        assertThat(r.chatTemplateKwargs().isObject()).isTrue();
    }

    @Test
    void contentIsAStringOrParts() throws Exception {
        ChatCompletionRequest r = chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":\"bob\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"image_url\","
                + "\"image_url\":{}}]},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"x\"}]}");
        List<ChatMessage> m = r.messages();
        assertThat(m.get(0).content()).isEqualTo(new MessageContent.Text("hi"));
        assertThat(m.get(0).name()).isEqualTo("bob");
        assertThat(m.get(1).content()).isEqualTo(new MessageContent.Parts(List.of(
                new MessageContent.ContentPart("text", "a"), new MessageContent.ContentPart("image_url", null))));
        assertThat(m.get(2).content()).isNull();
        assertThat(m.get(2).toolCalls().get(0).function().name()).isEqualTo("f");
        assertThat(m.get(2).toolCalls().get(0).function().arguments().asText()).isEqualTo("{}");
        assertThat(m.get(3).toolCallId()).isEqualTo("c1");
    }

    @Test
    void stopIsAStringOrAnArray() throws Exception {
        assertThat(chat("{\"stop\":\"x\"}").stop()).isEqualTo(new Stop(List.of("x"), false));
        assertThat(chat("{\"stop\":[\"x\",\"y\"]}").stop()).isEqualTo(new Stop(List.of("x", "y"), true));
        assertThat(chat("{\"stop\":null}").stop()).isNull();
    }

    @Test
    void promptIsAStringOrAnArrayOfStrings() throws Exception {
        assertThat(BINDER.readValue("{\"prompt\":\"a\"}", CompletionRequest.class).prompt())
                .isEqualTo(new Prompt(List.of("a")));
        assertThat(BINDER.readValue("{\"prompt\":[\"a\",\"b\"]}", CompletionRequest.class).prompt())
                .isEqualTo(new Prompt(List.of("a", "b")));
    }

    @Test
    void responseFormatJsonSchemaIsParsedAndItsSchemaCompiled() throws Exception {
        ResponseFormat f = chat("{\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"n\","
                + "\"description\":\"d\",\"strict\":true,\"schema\":{\"type\":\"object\"}}}}").responseFormat();
        assertThat(f.type()).isEqualTo("json_schema");
        assertThat(f.jsonSchema().name()).isEqualTo("n");
        assertThat(f.jsonSchema().description()).isEqualTo("d");
        assertThat(f.jsonSchema().strict()).isTrue();
        assertThat(f.jsonSchema().schema().get("type").asText()).isEqualTo("object");
        assertThat(chat("{\"response_format\":{\"type\":\"text\"}}").responseFormat().jsonSchema()).isNull();
        OpenAiTypes.ErrorBody e = chatError("{" + USER + ",\"response_format\":{\"type\":\"json_schema\","
                + "\"json_schema\":{\"name\":\"n\",\"schema\":{\"type\":\"object\",\"properties\":{\"a\":"
                + "{\"type\":\"array\",\"uniqueItems\":true}}}}}}");
        assertThat(e.param()).isEqualTo("response_format.json_schema.schema.properties.a.uniqueItems");
        assertThat(e.code()).isEqualTo("unsupported_schema");
        assertThat(e.message()).contains("'uniqueItems'");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"messages\":\"hi\"                                       | messages          | messages must be a non-empty array",
        "\"messages\":{}                                         | messages          | messages must be a non-empty array",
        "\"messages\":[5]                                          | messages[0]       | messages[0] must be an object",
        "\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":5,\"content\":\"x\"}] | messages[1].role | messages[1].role is required and must be a string",
        "\"messages\":[{\"role\":[],\"content\":\"x\"}]            | messages[0].role  | messages[0].role is required and must be a string",
        "\"messages\":[{\"role\":\"user\",\"content\":42}]         | messages[0].content | messages[0].content must be a string or an array of content parts",
        "\"messages\":[{\"role\":\"user\",\"content\":[5]}]        | messages[0].content[0] | messages[0].content[0] must be an object with a type",
        "\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"tool_calls\":5}] | messages[0].tool_calls | messages[0].tool_calls must be an array",
        "\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"name\":{}}] | messages[0].name | messages[0].name must be a string",
        "\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"function\":5}]}] | messages[0].tool_calls[0].function | messages[0].tool_calls[0].function must be an object",
        "\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"text\":\"b\"}]}] | messages[1].content[1] | messages[1].content[1] must be an object with a type",
        "\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"tool_call_id\":7}] | messages[0].tool_call_id | messages[0].tool_call_id must be a string",
        "\"model\":5                                               | model             | model must be a string",
        "\"stream\":\"true\"                                       | stream            | stream must be true or false",
        "\"stream\":1                                              | stream            | stream must be true or false",
        "\"stream\":[]                                             | stream            | stream must be true or false",
        "\"stream\":{}                                             | stream            | stream must be true or false",
        "\"stream\":\"\"                                           | stream            | stream must be true or false",
        "\"stream\":1.5                                            | stream            | stream must be true or false",
        "\"model\":true                                            | model             | model must be a string",
        "\"model\":1.5                                             | model             | model must be a string",
        "\"model\":[\"m\"]                                         | model             | model must be a string",
        "\"model\":{}                                              | model             | model must be a string",
        "\"ignore_eos\":1                                          | ignore_eos        | ignore_eos must be true or false",
        "\"stream\":true,\"stream_options\":5                      | stream_options    | stream_options must be an object",
        "\"stream\":true,\"stream_options\":{\"include_usage\":1}  | stream_options.include_usage | stream_options.include_usage must be true or false",
        "\"stop\":{}                                               | stop              | stop must be a string or an array of strings",
        "\"stop\":[\"a\",2]                                        | stop[1]           | stop strings must be strings",
        "\"response_format\":\"json\"                              | response_format   | response_format must be an object with a type",
        "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":{}}} | response_format.json_schema.name | response_format.json_schema.name must be a string",
        "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"strict\":\"y\"}} | response_format.json_schema.strict | response_format.json_schema.strict must be true or false",
        "\"reasoning_format\":1                                    | reasoning_format  | reasoning_format must be a string",
    })
    void bindingErrorsNameTheJsonPath(String fields, String param, String message) {
        String body = fields.startsWith("\"messages\"") ? "{" + fields + "}" : "{" + USER + "," + fields + "}";
        OpenAiTypes.ErrorBody e = chatError(body);
        assertThat(e.param()).isEqualTo(param);
        assertThat(e.message()).isEqualTo(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"temperature\":1e400          | temperature | temperature must be a finite number",
        "\"temperature\":\"hot\"        | temperature | temperature must be a finite number",
        "\"temperature\":3              | temperature | temperature must be between 0 and 2, not 3",
        "\"top_k\":2.5                  | top_k       | top_k must be an integer",
        "\"max_tokens\":1208925819614629174706176 | max_tokens | max_tokens must be between 1 and 2147483647, not 1208925819614629174706176",
        "\"seed\":1208925819614629174706176 | seed    | seed must be a 64-bit integer",
        "\"seed\":1e30                  | seed        | seed must be a 64-bit integer",
        "\"repeat_penalty\":0           | repeat_penalty | repeat_penalty must be greater than 0",
        "\"stream_options\":{}          | stream_options | stream_options is only allowed when stream is true",
        "\"response_format\":{\"type\":\"yaml\"} | response_format.type | response_format.type must be 'text', 'json_object' or 'json_schema', not 'yaml'",
    })
    void validationKeepsTodaysWords(String fields, String param, String message) {
        OpenAiTypes.ErrorBody e = chatError("{" + USER + "," + fields + "}");
        assertThat(e.param()).isEqualTo(param);
        assertThat(e.message()).isEqualTo(message);
    }

    @Test
    void acceptedFormsValidate() {
        RequestParser.ChatRequest r = PARSER.chat(("{\"messages\":[{\"role\":\"developer\",\"content\":[{\"type\":"
                + "\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]},{\"role\":\"assistant\",\"content\":"
                + "null,\"tool_calls\":[]}],\"stop\":\"x\",\"tools\":[],\"logprobs\":false,\"tool_choice\":\"none\","
                + "\"response_format\":{\"type\":\"text\"},\"seed\":-1,\"stream\":true,\"stream_options\":"
                + "{\"include_usage\":true}}").getBytes(StandardCharsets.UTF_8));
        assertThat(r.messages()).extracting(m -> m.role() + ":" + m.content())
                .containsExactly("system:ab", "assistant:");
        assertThat(r.common().stop()).containsExactly("x");
        assertThat(r.common().includeUsage()).isTrue();
        assertThat(r.common().sampling().seed()).isEqualTo(-1L);
    }

    @Test
    void completionForms() {
        assertThat(PARSER.completion("{\"prompt\":[\"a\"],\"echo\":false,\"best_of\":1}"
                .getBytes(StandardCharsets.UTF_8)).prompt()).isEqualTo("a");
        assertThat(textError("{\"prompt\":[1,2]}").message())
                .isEqualTo("prompt must be a string (token arrays are not supported)");
        assertThat(textError("{\"prompt\":[]}").param()).isEqualTo("prompt");
        assertThat(textError("{\"prompt\":[\"a\",\"b\"]}").message())
                .isEqualTo("only one prompt per request is supported");
        assertThat(textError("{}").message()).isEqualTo("prompt is required");
        assertThat(textError("{\"prompt\":\"a\",\"echo\":\"no\"}").param()).isEqualTo("echo");
        assertThat(textError("[]").param()).isNull();
    }
}
