package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.reasoning.ThinkingBudgets;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.server.HttpOptions;
import dev.ggufserver.server.ServerConfig;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reasoning controls through the real engine on the scripted tiny model, over HTTP: budgets cut the thought and the
 * scripted answer still follows exactly, no thinking starts in the answer, "answer now" ends a running thought, and
 * streamed results equal non-streamed ones.
 */
class ReasoningControlsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "/v1/chat/completions";
    private static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    private static final String LOOP = "\"messages\":[{\"role\":\"user\",\"content\":\"loop\"}]";
    /** Tokens the scripted answer takes after the thought's "\n\n": the answer (emoji = 2) and EOS. */
    private static final int ANSWER_TOKENS = TinyModel.CHAT_COMPLETION_TOKENS - TinyModel.CHAT_REASONING_TOKENS - 1;

    /**
     * A server of its own: API keys on, a default budget of 4 and a message before a cut thought's close, and room
     * for a looping thought to run for seconds, far longer than "answer now" takes to arrive.
     */
    private static GgufServer keyed;

    @BeforeAll
    static void start() throws Exception {
        keyed = GgufServer.start(ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 4000, 2, 2, "tiny-r1")
                .withHttp(HttpOptions.defaults().withApiKeys(List.of("key-a", "key-b")))
                .withThinkingBudgets(ThinkingBudgets.DEFAULTS.withDefault(4).withMessage("Time is up.")));
    }

    @AfterAll
    static void stop() {
        keyed.close();
    }

    private static Http http() {
        return new Http(RealServers.url());
    }

    /** What a chat answer says, from a JSON body or folded from its SSE frames. */
    record Answer(String reasoning, String content, int completionTokens, int reasoningTokens, String finish,
                  boolean reasoningField) {
    }

    private static Answer whole(Http http, String fields) {
        Http.Response r = http.post(CHAT, "{" + fields + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode message = r.json().at("/choices/0/message");
        JsonNode usage = r.json().get("usage");
        return new Answer(message.path("reasoning_content").asText(""), message.path("content").asText(),
                usage.get("completion_tokens").asInt(),
                usage.at("/completion_tokens_details/reasoning_tokens").asInt(),
                r.json().at("/choices/0/finish_reason").asText(), message.has("reasoning_content"));
    }

    private static Answer streamed(Http http, String fields) throws Exception {
        Http.Response r = http.post(CHAT, "{" + fields + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return fold(r.dataFrames());
    }

    private static Answer fold(List<String> frames) throws Exception {
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        JsonNode usage = null;
        String finish = null;
        boolean reasoningField = false;
        for (String frame : frames) {
            if (frame.equals("[DONE]")) {
                continue;
            }
            JsonNode chunk = JSON.readTree(frame);
            assertThat(chunk.has("error")).as(frame).isFalse();
            if (chunk.hasNonNull("usage")) {
                usage = chunk.get("usage");
            }
            for (JsonNode choice : chunk.path("choices")) {
                JsonNode delta = choice.path("delta");
                reasoningField |= delta.has("reasoning_content");
                reasoning.append(delta.path("reasoning_content").asText(""));
                content.append(delta.path("content").asText(""));
                if (choice.hasNonNull("finish_reason")) {
                    finish = choice.get("finish_reason").asText();
                }
            }
        }
        assertThat(usage).as("the usage chunk").isNotNull();
        return new Answer(reasoning.toString(), content.toString(), usage.get("completion_tokens").asInt(),
                usage.at("/completion_tokens_details/reasoning_tokens").asInt(), finish, reasoningField);
    }

    private static String firstTokens(List<String> pieces, int n) {
        return String.join("", pieces.subList(0, n)).strip();
    }

    @ParameterizedTest
    @ValueSource(strings = {"thinking_budget_tokens", "reasoning_budget_tokens"})
    void aBudgetOfFourCutsTheThoughtAfterFourTokensAndTheScriptedAnswerFollows(String field) throws Exception {
        String fields = HI + ",\"" + field + "\":4";

        Answer whole = whole(http(), fields);

        assertThat(whole.reasoning()).isEqualTo(firstTokens(TinyModel.THINKING_PIECES, 4)); // "Okay, the user"
        assertThat(whole.content()).isEqualTo(TinyModel.ANSWER);
        assertThat(whole.reasoningTokens()).isEqualTo(4);
        assertThat(whole.completionTokens()).isEqualTo(4 + ANSWER_TOKENS);
        assertThat(whole.finish()).isEqualTo("stop");
        assertThat(streamed(http(), fields)).isEqualTo(whole);
    }

    @Test
    void aBudgetWinsOverTheEffortAndCutsALoopingThoughtToo() throws Exception {
        String fields = LOOP + ",\"reasoning_effort\":\"high\",\"thinking_budget_tokens\":9";

        Answer whole = whole(http(), fields);

        String cycle = String.join("", TinyModel.LOOP_CYCLE);
        assertThat(whole.reasoning()).isEqualTo((cycle + String.join("", TinyModel.LOOP_CYCLE.subList(0, 3)))
                .strip());
        assertThat(whole.content()).isEqualTo(TinyModel.ANSWER);
        assertThat(whole.reasoningTokens()).isEqualTo(9);
        assertThat(whole.completionTokens()).isEqualTo(9 + ANSWER_TOKENS);
        assertThat(streamed(http(), fields)).isEqualTo(whole);
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"thinking_budget_tokens\":0", "\"reasoning_effort\":\"none\"",
            "\"chat_template_kwargs\":{\"enable_thinking\":false}",
            "\"chat_template_kwargs\":{\"enable_thinking\":false},\"reasoning_effort\":\"max\""})
    void noThinkingGivesTheAnswerWithNoThought(String control) throws Exception {
        String fields = HI + "," + control;

        Answer whole = whole(http(), fields);

        assertThat(whole.reasoningField()).as("reasoning_content is absent").isFalse();
        assertThat(whole.content()).isEqualTo(TinyModel.ANSWER);
        assertThat(whole.reasoningTokens()).isZero();
        assertThat(whole.completionTokens()).isEqualTo(ANSWER_TOKENS);
        assertThat(streamed(http(), fields)).isEqualTo(whole);
    }

    @ParameterizedTest
    @ValueSource(strings = {"minimal", "low", "medium", "high", "xhigh", "max"})
    void anEffortWhoseBudgetIsLongerLeavesTheShortThoughtWhole(String effort) throws Exception {
        String fields = HI + ",\"reasoning_effort\":\"" + effort + "\"";

        Answer whole = whole(http(), fields);

        assertThat(whole.reasoning()).isEqualTo(TinyModel.THINKING);
        assertThat(whole.content()).isEqualTo(TinyModel.ANSWER);
        assertThat(whole.reasoningTokens()).isEqualTo(TinyModel.CHAT_REASONING_TOKENS);
        assertThat(whole.completionTokens()).isEqualTo(TinyModel.CHAT_COMPLETION_TOKENS);
        assertThat(streamed(http(), fields)).isEqualTo(whole);
    }

    @Test
    void theServersDefaultBudgetAndMessageHoldForARequestThatNamesNone() throws Exception {
        Http http = new Http("http://127.0.0.1:" + keyed.port()).withKey("key-a");

        Answer whole = whole(http, HI);

        assertThat(whole.reasoning()).isEqualTo(firstTokens(TinyModel.THINKING_PIECES, 4) + "\n\nTime is up.");
        assertThat(whole.content()).isEqualTo(TinyModel.ANSWER);
        assertThat(whole.reasoningTokens()).isEqualTo(4);
        assertThat(whole.completionTokens()).isEqualTo(4 + ANSWER_TOKENS);
        assertThat(streamed(http, HI)).isEqualTo(whole);
        assertThat(whole(http, HI + ",\"reasoning_effort\":\"low\"").reasoning()).isEqualTo(TinyModel.THINKING);
    }

    @Test
    void aBudgetOnAStructuredOutputCutsTheFreeThoughtAndTheAnswerIsStillConstrained() throws Exception {
        String fields = HI + ",\"thinking_budget_tokens\":4,\"temperature\":0,\"response_format\":{\"type\":\"json_schema\","
                + "\"json_schema\":{\"name\":\"g\",\"schema\":{\"type\":\"object\",\"properties\":{\"greeting\":"
                + "{\"enum\":[\"hello\"]}},\"required\":[\"greeting\"]}}}";

        Answer whole = whole(http(), fields);

        assertThat(whole.reasoning()).isEqualTo(firstTokens(TinyModel.THINKING_PIECES, 4));
        assertThat(JSON.readTree(whole.content()).get("greeting").asText()).isEqualTo("hello");
        assertThat(whole.reasoningTokens()).isEqualTo(4);
        assertThat(streamed(http(), fields)).isEqualTo(whole);
    }

    @Test
    void aBudgetWithToolsCutsTheThoughtAndNoTagReachesTheAnswer() throws Exception {
        String fields = "\"messages\":[{\"role\":\"user\",\"content\":\"what is the forecast for Paris\"}],"
                + "\"thinking_budget_tokens\":3,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
                + "\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]";

        Http http = new Http("http://127.0.0.1:" + keyed.port()).withKey("key-b"); // room for the tools' prompt

        Answer whole = whole(http, fields);

        assertThat(whole.reasoning()).isEqualTo(firstTokens(TinyModel.THINKING_PIECES, 3) + "\n\nTime is up.");
        assertThat(whole.reasoningTokens()).isEqualTo(3);
        assertThat(whole.content()).doesNotContain("think>").isEqualTo(TinyModel.ANSWER);
        assertThat(streamed(http, fields)).isEqualTo(whole);
    }

    @Test
    void aBudgetOnAModelWhoseTemplateHasNoThinkingIsIgnored() throws Exception {
        Http http = new Http(RealServers.url(RealServers.tinyModelWithoutThinking(), 512, 1));

        Answer free = whole(http, HI);
        Answer budgeted = whole(http, HI + ",\"thinking_budget_tokens\":2");

        assertThat(budgeted).isEqualTo(free);
    }

    /**
     * "Answer now" on a thought that would loop forever: the stream is read until the thought is under way, the
     * completion's own caller ends it (another key cannot, and asking again changes nothing), and the answer comes.
     */
    @Test
    void answerNowEndsARunningThoughtAndOnlyItsOwnCallerMay() throws Exception {
        Http owner = new Http("http://127.0.0.1:" + keyed.port()).withKey("key-a");
        Http other = new Http("http://127.0.0.1:" + keyed.port()).withKey("key-b");
        HttpResponse<Stream<String>> response = owner.postLines(CHAT, "{" + LOOP + ",\"reasoning_effort\":\"max\","
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(response.statusCode()).isEqualTo(200);
        Iterator<String> lines = response.body().iterator();
        List<String> frames = new java.util.ArrayList<>();
        String id = null;
        int reasoningFrames = 0;
        while (reasoningFrames < 3 && lines.hasNext()) { // the thought is well under way
            String line = lines.next();
            if (line.startsWith("data: ")) {
                String frame = line.substring(6);
                frames.add(frame);
                JsonNode chunk = JSON.readTree(frame);
                id = chunk.get("id").asText();
                if (chunk.at("/choices/0/delta").has("reasoning_content")) {
                    reasoningFrames++;
                }
            }
        }
        String control = "{\"id\":\"" + id + "\",\"action\":\"reasoning_end\"}";

        Http.Response refused = other.post(CHAT + "/control", control);
        Http.Response ended = owner.post(CHAT + "/control", control);
        CompletableFuture<Void> rest = CompletableFuture.runAsync(() -> lines.forEachRemaining(line -> {
            if (line.startsWith("data: ")) {
                frames.add(line.substring(6));
            }
        }));
        rest.get(60, TimeUnit.SECONDS);

        assertThat(refused.status()).as(refused.body()).isEqualTo(404);
        assertThat(refused.json().at("/error/code").asText()).isEqualTo("completion_not_found");
        assertThat(ended.status()).as(ended.body()).isEqualTo(200);
        assertThat(ended.json().get("applied").asBoolean()).isTrue();
        Answer answer = fold(frames);
        assertThat(answer.reasoning()).startsWith(String.join("", TinyModel.LOOP_CYCLE).strip().substring(0, 5))
                .doesNotContain("think>");
        assertThat(answer.content()).isEqualTo(TinyModel.ANSWER);
        assertThat(answer.finish()).isEqualTo("stop");
        assertThat(answer.completionTokens()).isEqualTo(answer.reasoningTokens() + ANSWER_TOKENS);
        assertThat(answer.reasoningTokens()).isLessThan(3900);
        // finished: nothing runs by that id any more
        assertThat(owner.post(CHAT + "/control", control).status()).isEqualTo(404);
    }
}
