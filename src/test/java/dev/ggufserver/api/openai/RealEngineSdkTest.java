package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.support.TestServer;
import dev.ggufserver.testmodel.TinyModel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The real native engine on the tiny scripted model, through real HTTP, with the official OpenAI Java SDK as the
 * client: exact text, exact usage, streaming equal to non-streaming.
 */
class RealEngineSdkTest {
    private final OpenAIClient client = TestServer.sdkFor(RealServers.url());

    private static ChatCompletionCreateParams.Builder chat(String userMessage) {
        return ChatCompletionCreateParams.builder().model("anything").addUserMessage(userMessage);
    }

    private static String reasoning(ChatCompletion completion) {
        JsonValue value = completion.choices().get(0).message()._additionalProperties().get("reasoning_content");
        return value == null ? null : value.convert(String.class);
    }

    /** Everything a stream said, folded: reasoning, content, finish reason, usage, and the chunks themselves. */
    record Folded(String reasoning, String content, String finishReason, CompletionUsage usage,
                  List<ChatCompletionChunk> chunks) {
    }

    private Folded stream(ChatCompletionCreateParams params) {
        StringBuilder r = new StringBuilder();
        StringBuilder c = new StringBuilder();
        String[] finish = new String[1];
        CompletionUsage[] usage = new CompletionUsage[1];
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                chunks.add(chunk);
                chunk.usage().ifPresent(u -> usage[0] = u);
                for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                    choice.delta().content().ifPresent(c::append);
                    JsonValue rc = choice.delta()._additionalProperties().get("reasoning_content");
                    if (rc != null) {
                        r.append(rc.convert(String.class));
                    }
                    choice.finishReason().ifPresent(f -> finish[0] = f.asString());
                }
            });
        }
        return new Folded(r.toString(), c.toString(), finish[0], usage[0], chunks);
    }

    @Test
    void chatSeparatesThinkingFromTheAnswerWithExactUsage() {
        ChatCompletion completion = client.chat().completions().create(chat("hi").build());

        assertThat(reasoning(completion)).isEqualTo(TinyModel.THINKING);
        assertThat(completion.choices().get(0).message().content()).contains(TinyModel.ANSWER);
        assertThat(completion.choices().get(0).finishReason().asString()).isEqualTo("stop");
        assertThat(completion.model()).isEqualTo("tiny-r1");
        CompletionUsage usage = completion.usage().orElseThrow();
        // BOS <｜User｜> h i <｜Assistant｜> <think> \n
        assertThat(usage.promptTokens()).isEqualTo(7);
        assertThat(usage.completionTokens()).isEqualTo(TinyModel.CHAT_COMPLETION_TOKENS);
        assertThat(usage.totalTokens()).isEqualTo(7 + TinyModel.CHAT_COMPLETION_TOKENS);
        assertThat(usage.completionTokensDetails().orElseThrow().reasoningTokens())
                .contains((long) TinyModel.CHAT_REASONING_TOKENS);
    }

    @Test
    void streamingGivesExactlyWhatNonStreamingGives() {
        ChatCompletion whole = client.chat().completions().create(chat("hi").build());
        Folded streamed = stream(chat("hi").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true)
                .build()).build());

        assertThat(streamed.reasoning()).isEqualTo(reasoning(whole));
        assertThat(streamed.content()).isEqualTo(whole.choices().get(0).message().content().orElseThrow());
        assertThat(streamed.finishReason()).isEqualTo("stop");
        assertThat(streamed.usage().completionTokens()).isEqualTo(whole.usage().orElseThrow().completionTokens());
        assertThat(streamed.usage().promptTokens()).isEqualTo(whole.usage().orElseThrow().promptTokens());
        assertThat(streamed.chunks()).extracting(ChatCompletionChunk::id).containsOnly(streamed.chunks().get(0).id());
        assertThat(streamed.chunks().get(0).choices().get(0).delta().role()).isPresent();
        assertThat(streamed.chunks().subList(1, streamed.chunks().size()))
                .allSatisfy(c -> c.choices().forEach(ch -> assertThat(ch.delta().role()).isEmpty()));
    }

    @Test
    void completionsContinueTheRawPrompt() {
        Completion completion = client.completions().create(CompletionCreateParams.builder().model("m")
                .prompt("hi").build());

        assertThat(completion.choices().get(0).text()).isEqualTo(TinyModel.COMPLETION);
        assertThat(completion.choices().get(0).finishReason().asString()).isEqualTo("stop");
        assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(3); // BOS h i
        assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(TinyModel.COMPLETION_TOKENS);

        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(
                CompletionCreateParams.builder().model("m").prompt("hi").build())) {
            stream.stream().forEach(c -> c.choices().forEach(ch -> streamed.append(ch.text())));
        }
        assertThat(streamed.toString()).isEqualTo(TinyModel.COMPLETION);
    }

    @Test
    void maxTokensEndsWithLengthAfterExactlyThatManyTokens() {
        ChatCompletion completion = client.chat().completions().create(chat("hi").maxCompletionTokens(5).build());

        assertThat(completion.choices().get(0).finishReason().asString()).isEqualTo("length");
        assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(5);
        assertThat(reasoning(completion)).isEqualTo("Okay, the user said");
        assertThat(completion.choices().get(0).message().content()).hasValue(""); // still thinking at the limit

        Folded loop = stream(chat("please loop").maxTokens(20).streamOptions(ChatCompletionStreamOptions.builder()
                .includeUsage(true).build()).build());
        assertThat(loop.finishReason()).isEqualTo("length");
        assertThat(loop.usage().completionTokens()).isEqualTo(20);
        assertThat(loop.reasoning()).startsWith("Round and round it goes. Round");
    }

    @Test
    void stopStringsEndTheAnswerAndNeverLeak() {
        ChatCompletion simple = client.chat().completions().create(chat("hi").stop(" can").build());
        assertThat(simple.choices().get(0).message().content()).contains("Hello! How");
        assertThat(simple.choices().get(0).finishReason().asString()).isEqualTo("stop");

        // "lo! H" arrives split over the pieces "Hello", "!", " How"
        Folded split = stream(chat("hi").stopOfStrings(List.of("xyz", "lo! H")).build());
        assertThat(split.content()).isEqualTo("Hel");
        assertThat(split.finishReason()).isEqualTo("stop");

        // a stop string inside the thought ends it there: the thought stays reasoning, no answer
        ChatCompletion inThought = client.chat().completions().create(chat("hi").stop("user said").build());
        assertThat(reasoning(inThought)).isEqualTo("Okay, the");
        assertThat(inThought.choices().get(0).message().content().orElse("")).isEmpty();
    }

    @Test
    void aSeedMakesSamplingReproducible() {
        ChatCompletionCreateParams.Builder dice = chat("roll the dice").temperature(1.0).maxTokens(30);

        String first = reasoning(client.chat().completions().create(dice.seed(7L).build()));
        String again = reasoning(client.chat().completions().create(dice.seed(7L).build()));
        String other = reasoning(client.chat().completions().create(dice.seed(8L).build()));

        assertThat(first).startsWith("Rolling:").hasSize("Rolling:".length() + 29 * 2);
        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first); // 29 fair dice agree by chance with probability 6^-29
    }

    @Test
    void eightConcurrentStreamsOnFourSlotsAllGetTheirWholeAnswer() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Folded>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> stream(chat("hi").build())));
            }
            Set<String> ids = new HashSet<>();
            for (Future<Folded> f : futures) {
                Folded folded = f.get();
                assertThat(folded.reasoning()).isEqualTo(TinyModel.THINKING);
                assertThat(folded.content()).isEqualTo(TinyModel.ANSWER);
                ids.add(folded.chunks().get(0).id());
            }
            assertThat(ids).hasSize(8);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void emojiAndCjkSurviveTheRoundTrip() {
        ChatCompletion completion = client.chat().completions().create(chat("hi 👋 你好").build());

        // BOS <｜User｜> + 14 byte tokens for "hi 👋 你好" + <｜Assistant｜> <think> \n
        assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(19);
        assertThat(completion.choices().get(0).message().content()).contains(TinyModel.ANSWER);
        Completion text = client.completions().create(CompletionCreateParams.builder().model("m")
                .prompt("日本語 🎌").build());
        assertThat(text.choices().get(0).text()).isEqualTo(" world of tiny models 你好世界 👋");
    }

    @Test
    void reasoningFormatNoneGivesTheRawText() {
        ChatCompletion completion = client.chat().completions().create(chat("hi")
                .putAdditionalBodyProperty("reasoning_format", JsonValue.from("none")).build());

        assertThat(reasoning(completion)).isNull();
        assertThat(completion.choices().get(0).message().content())
                .contains(TinyModel.THINKING + "\n</think>\n\n" + TinyModel.ANSWER);
    }

    @Test
    void earlierTurnsLoseTheirThinkingBeforeTheTemplate() {
        ChatCompletion withThought = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("m").addUserMessage("hi").addAssistantMessage("<think>\na very long secret thought\n</think>\n\n"
                        + "Hello!").addUserMessage("again").build());
        ChatCompletion withoutThought = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("m").addUserMessage("hi").addAssistantMessage("Hello!").addUserMessage("again").build());

        assertThat(withThought.usage().orElseThrow().promptTokens())
                .isEqualTo(withoutThought.usage().orElseThrow().promptTokens());
        assertThat(withThought.choices().get(0).message().content()).contains(TinyModel.ANSWER);
    }

    @Test
    void modelsListTheServedModelWithItsMetadata() {
        var models = client.models().list().data();

        assertThat(models).hasSize(1);
        assertThat(models.get(0).id()).isEqualTo("tiny-r1");
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = models.get(0)._additionalProperties().get("meta").convert(Map.class);
        assertThat(meta).containsEntry("context_length", 512).containsEntry("architecture", "qwen2")
                .containsEntry("quantization", "F32").containsKeys("n_params", "size", "n_ctx_train");
    }
}
