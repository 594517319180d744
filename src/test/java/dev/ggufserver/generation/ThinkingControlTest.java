package dev.ggufserver.generation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.engine.ContentSpan;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.engine.llama.LlamaEngine;
import dev.ggufserver.output.MessageDelta;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkingBudget;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.support.InProcessEngines;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.support.RecordingSink;
import dev.ggufserver.template.ChatTemplate;
import dev.ggufserver.testmodel.TinyModel;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ending a thought from outside ({@link CompletionRunner#endThinking}) through the real engine on the scripted tiny
 * model, at exact points: the sink asks for the answer while a piece is being delivered, so the cut lands at the
 * next token whatever the machine's speed.
 */
class ThinkingControlTest {
    private static final String LOOP_PROMPT = "<｜User｜>loop<｜Assistant｜><think>\n";
    private static final String HI_PROMPT = "<｜User｜>hi<｜Assistant｜><think>\n";
    private static LlamaEngine engine;
    private static CompletionRunner runner;

    @BeforeAll
    static void load() throws Exception {
        engine = InProcessEngines.tiny(RealServers.tinyModel(), 512);
        runner = ServedModel.of(engine, new ChatTemplate("x", "", "", false), ReasoningFormat.DEEPSEEK,
                Duration.ofSeconds(5)).runner();
    }

    record Answer(String reasoning, String content, FinishReason reason, Usage usage) {
    }

    private static PreparedCompletion completion(String prompt, String id, String caller) {
        return new PreparedCompletion(new GenerationRequest(prompt, 300, Sampling.greedy()), List.of(),
                ReasoningFormat.DEEPSEEK, true).withThinking(ThinkingBudget.NONE, id, caller);
    }

    /** Runs {@code completion}; {@code onDelta} sees each delta with the reasoning so far, before it is added. */
    private static Answer run(PreparedCompletion completion, Runnable onBegin, BiConsumer<MessageDelta, String> onDelta)
            throws Exception {
        return run(runner, completion, onBegin, onDelta);
    }

    private static Answer run(CompletionRunner runner, PreparedCompletion completion, Runnable onBegin,
                              BiConsumer<MessageDelta, String> onDelta) throws Exception {
        RecordingSink sink = new RecordingSink().onBegin(onBegin).onDelta(onDelta);
        runner.run(completion, sink);
        return new Answer(sink.reasoning.toString(), sink.content.toString(), sink.reason, sink.usage);
    }

    @Test
    void answerNowMidThoughtEndsItAtTheNextTokenAndTheAnswerFollows() throws Exception {
        CompletionRunner.ThinkingControl[] result = new CompletionRunner.ThinkingControl[2];
        Answer a = run(completion(LOOP_PROMPT, "chatcmpl-loop", null), () -> { }, (delta, before) -> {
            // the thought's third token ("round") is being delivered: ask now
            if (result[0] == null && (before + delta.reasoning()).equals("Round and round")) {
                result[0] = runner.endThinking("chatcmpl-loop", null);
            } else if (result[0] != null && result[1] == null && !delta.content().isEmpty()) {
                result[1] = runner.endThinking("chatcmpl-loop", null); // answering already
            }
        });

        assertThat(result[0]).isEqualTo(CompletionRunner.ThinkingControl.ENDING);
        assertThat(result[1]).isEqualTo(CompletionRunner.ThinkingControl.NOT_THINKING);
        assertThat(a.reasoning()).isEqualTo("Round and round");
        assertThat(a.content()).isEqualTo(TinyModel.ANSWER);
        assertThat(a.reason()).isEqualTo(FinishReason.STOP);
        assertThat(a.usage().reasoningTokens()).isEqualTo(3);
        assertThat(a.usage().completionTokens()).isEqualTo(3 + TinyModel.CHAT_COMPLETION_TOKENS
                - TinyModel.CHAT_REASONING_TOKENS - 1);
        assertThat(runner.endThinking("chatcmpl-loop", null)).as("finished: gone from the registry")
                .isEqualTo(CompletionRunner.ThinkingControl.NOT_FOUND);
    }

    @Test
    void answerNowBeforeTheFirstTokenMeansNoThoughtAtAll() throws Exception {
        Answer a = run(completion(HI_PROMPT, "chatcmpl-early", "caller-1"),
                () -> assertThat(runner.endThinking("chatcmpl-early", "caller-1"))
                        .isEqualTo(CompletionRunner.ThinkingControl.ENDING), (delta, before) -> { });

        assertThat(a.reasoning()).isEmpty();
        assertThat(a.content()).isEqualTo(TinyModel.ANSWER);
        assertThat(a.usage().reasoningTokens()).isZero();
    }

    @Test
    void onlyTheCallerThatStartedACompletionMayEndItsThought() throws Exception {
        CompletionRunner.ThinkingControl[] others = new CompletionRunner.ThinkingControl[3];
        Answer a = run(completion(HI_PROMPT, "chatcmpl-mine", "caller-1"), () -> {
            others[0] = runner.endThinking("chatcmpl-mine", "caller-2");
            others[1] = runner.endThinking("chatcmpl-mine", null);
            others[2] = runner.endThinking("chatcmpl-other", "caller-1");
        }, (delta, before) -> { });

        assertThat(others).containsOnly(CompletionRunner.ThinkingControl.NOT_FOUND);
        assertThat(a.reasoning()).isEqualTo(TinyModel.THINKING);
        assertThat(a.content()).isEqualTo(TinyModel.ANSWER);
    }

    @Test
    void aThoughtThatEndsByItselfAtItsBudgetIsUntouched() throws Exception {
        // 13 thought tokens, then </think>: a budget of 14 is exactly what the thought takes
        Answer a = run(new PreparedCompletion(new GenerationRequest(HI_PROMPT, 300, Sampling.greedy()), List.of(),
                ReasoningFormat.DEEPSEEK, true).withThinking(new ThinkingBudget(TinyModel.CHAT_REASONING_TOKENS,
                ThinkingBudget.closingWith("Cut.")), null, null), () -> { }, (delta, before) -> { });

        assertThat(a.reasoning()).isEqualTo(TinyModel.THINKING);
        assertThat(a.content()).isEqualTo(TinyModel.ANSWER);
        assertThat(a.usage().reasoningTokens()).isEqualTo(TinyModel.CHAT_REASONING_TOKENS);
        assertThat(a.usage().completionTokens()).isEqualTo(TinyModel.CHAT_COMPLETION_TOKENS);
    }

    /**
     * A cut thought is continued from the pieces the model wrote, sent as token spans (each the token that printed
     * it), and the closing text: the engine finds those very tokens in its cache and processes only the closing.
     */
    @Test
    void aCutThoughtIsContinuedFromTheTokensTheModelWroteAndTheClosingText() throws Exception {
        FakeEngine fake = new FakeEngine(512, 1).script("Okay", ",", " the", " user", ".\n", "</think>", "Hi");
        CompletionRunner fakeRunner = ServedModel.of(fake, new ChatTemplate("x", "", "", false),
                ReasoningFormat.DEEPSEEK, Duration.ofSeconds(5)).runner();

        run(fakeRunner, new PreparedCompletion(new GenerationRequest(HI_PROMPT, 300, Sampling.greedy()), List.of(),
                ReasoningFormat.DEEPSEEK, true).withThinking(new ThinkingBudget(2, ThinkingBudget.closingWith("")),
                null, null), () -> { }, (delta, before) -> { });

        assertThat(fake.requests).hasSize(2);
        GenerationRequest rest = fake.requests.get(1);
        int p = HI_PROMPT.length();
        assertThat(rest.prompt()).isEqualTo(HI_PROMPT + "Okay," + "\n</think>\n\n");
        assertThat(rest.tokenSpans()).containsExactly(new ContentSpan(p, p + 4), new ContentSpan(p + 4, p + 5));
        assertThat(rest.contentSpans()).isEmpty();
    }
}
