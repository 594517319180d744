package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.StructuredChatCompletion;
import com.openai.models.chat.completions.StructuredChatCompletionCreateParams;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.support.TestServer;
import dev.ggufserver.testmodel.TinyModel;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Structured outputs as real clients ask for them: the official OpenAI Java SDK and LangChain4j's AiServices. */
class StructuredOutputClientsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Answer { YES, NO }

    /** What the clients map the answer into: enums and booleans, which the tiny model can only fill validly. */
    public record Verdict(Answer answer, boolean sure) {
    }

    interface Judge {
        Verdict judge(String question);
    }

    @Test
    void theOpenAiSdksResponseFormatJsonSchemaRoundTrips() throws Exception {
        OpenAIClient client = TestServer.sdkFor(RealServers.url());
        ResponseFormatJsonSchema format = ResponseFormatJsonSchema.builder()
                .jsonSchema(ResponseFormatJsonSchema.JsonSchema.builder()
                        .name("verdict")
                        .strict(true)
                        .schema(ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                                .putAdditionalProperty("type", JsonValue.from("object"))
                                .putAdditionalProperty("properties", JsonValue.from(Map.of(
                                        "answer", Map.of("type", "string", "enum", List.of("yes", "no")),
                                        "sure", Map.of("type", "boolean"))))
                                .putAdditionalProperty("required", JsonValue.from(List.of("answer", "sure")))
                                .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                                .build())
                        .build())
                .build();

        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("tiny").addUserMessage("hi").temperature(0.0).responseFormat(format).build());

        String content = completion.choices().get(0).message().content().orElseThrow();
        JsonNode answer = JSON.readTree(content);
        assertThat(answer.get("answer").asText()).isIn("yes", "no");
        assertThat(answer.get("sure").isBoolean()).isTrue();
        assertThat(answer.size()).isEqualTo(2);
        assertThat(completion.choices().get(0).message()._additionalProperties().get("reasoning_content")
                .convert(String.class)).isEqualTo(TinyModel.THINKING);
        assertThat(completion.choices().get(0).finishReason().asString()).isEqualTo("stop");
    }

    @Test
    void theOpenAiSdkMapsTheAnswerIntoAJavaClass() {
        OpenAIClient client = TestServer.sdkFor(RealServers.url());
        StructuredChatCompletionCreateParams<Verdict> params = ChatCompletionCreateParams.builder()
                .model("tiny").addUserMessage("hi").temperature(0.0).responseFormat(Verdict.class).build();

        StructuredChatCompletion<Verdict> completion = client.chat().completions().create(params);

        Verdict verdict = completion.choices().get(0).message().content().orElseThrow();
        assertThat(verdict.answer()).isNotNull();
    }

    @Test
    void langChain4jAiServicesReturnARecord() {
        OpenAiChatModel model = OpenAiChatModel.builder()
                .baseUrl(RealServers.url() + "/v1")
                .apiKey("not-needed")
                .modelName("tiny")
                .temperature(0.0)
                .supportedCapabilities(Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA))
                .strictJsonSchema(true)
                .maxRetries(0)
                .build();
        Judge judge = AiServices.create(Judge.class, model);

        Verdict verdict = judge.judge("hi");

        assertThat(verdict).isNotNull();
        assertThat(verdict.answer()).isIn(Answer.YES, Answer.NO);
    }

}
