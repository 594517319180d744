package dev.ggufserver.generation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.engine.llama.LlamaEngine;
import dev.ggufserver.engine.llama.Vocabulary;
import dev.ggufserver.models.GgufReader;
import dev.ggufserver.output.MessageDelta;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkingBudget;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.template.ChatTemplate;
import dev.ggufserver.testmodel.TinyModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
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
        Path model = RealServers.tinyModel();
        engine = LlamaEngine.load(new LlamaEngine.Settings(model, 512, 1, 2, false),
                new ModelInfo("tiny", 512, 1, "qwen2", 0, "F32", 0, 0, true, null),
                Vocabulary.fromGguf(GgufReader.read(model)));
        runner = ServedModel.of(engine, new ChatTemplate("x", "", "", false), ReasoningFormat.DEEPSEEK,
                Duration.ofSeconds(5)).runner();
    }

    @AfterAll
    static void close() {
        engine.close();
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
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        Object[] end = new Object[2];
        runner.run(completion, new CompletionSink() {
            @Override
            public void keepAlive() {
            }

            @Override
            public boolean clientGone() {
                return false;
            }

            @Override
            public void begin() {
                onBegin.run();
            }

            @Override
            public void delta(MessageDelta delta) {
                onDelta.accept(delta, reasoning.toString());
                reasoning.append(delta.reasoning());
                content.append(delta.content());
            }

            @Override
            public void finish(FinishReason r, Usage usage, Timings timings) {
                end[0] = r;
                end[1] = usage;
            }
        });
        return new Answer(reasoning.toString(), content.toString(), (FinishReason) end[0], (Usage) end[1]);
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
}
