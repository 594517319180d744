package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.support.TestServer;
import dev.ggufserver.testmodel.TinyModel;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Tool calling as real clients do it: the OpenAI Java SDK accumulating a stream, and LangChain4j's AiServices. */
class ToolCallingClientsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String QUESTION = "What is the forecast for Paris?";

    private static String url() {
        return RealServers.url(RealServers.tinyModel(), 2048, 2);
    }

    @Test
    void theOpenAiSdkAccumulatesAStreamedCall() throws Exception {
        OpenAIClient client = TestServer.sdkFor(url());
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("tiny").temperature(0.0)
                .addUserMessage(QUESTION)
                .addFunctionTool(FunctionDefinition.builder().name("get_weather").description("The weather in a city")
                        .parameters(FunctionParameters.builder()
                                .putAdditionalProperty("type", JsonValue.from("object"))
                                .putAdditionalProperty("properties", JsonValue.from(Map.of("city",
                                        Map.of("type", "string"))))
                                .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                                .build())
                        .build())
                .build();

        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(accumulator::accumulate);
        }
        ChatCompletion streamed = accumulator.chatCompletion();
        ChatCompletion whole = client.chat().completions().create(params);

        for (ChatCompletion completion : List.of(streamed, whole)) {
            ChatCompletion.Choice choice = completion.choices().get(0);
            assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
            ChatCompletionMessageFunctionToolCall call = choice.message().toolCalls().orElseThrow().get(0).asFunction();
            assertThat(call.id()).startsWith("call_");
            assertThat(call.function().name()).isEqualTo("get_weather");
            assertThat(JSON.readTree(call.function().arguments()).get("city").asText()).isEqualTo("Paris");
        }
    }

    /** What the framework calls: it records the calls, and answers as a weather service would. */
    static final class WeatherTools {
        final List<String> cities = new CopyOnWriteArrayList<>();

        @Tool("The weather in a city")
        String get_weather(String city) {
            cities.add(city);
            return "sunny";
        }
    }

    interface Assistant {
        String chat(String question);
    }

    @Test
    void langChain4jCallsTheToolSendsTheResultBackAndGetsTheAnswer() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(url() + "/v1").apiKey("not-needed")
                .modelName("tiny").temperature(0.0).maxRetries(0).build();
        WeatherTools tools = new WeatherTools();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).tools(tools).build();

        String answer = assistant.chat(QUESTION);

        assertThat(tools.cities).containsExactly("Paris");
        assertThat(answer).isEqualTo(TinyModel.TOOL_ANSWER);
    }
}
