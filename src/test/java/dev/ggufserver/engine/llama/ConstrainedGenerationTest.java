package dev.ggufserver.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.engine.Constraint;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.GenerationResult;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.models.GgufReader;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What llama.cpp b4916 makes of the grammar keys RawParameters hands it (structured outputs build on these). */
class ConstrainedGenerationTest {
    private static final String CHAT_PROMPT = "<｜User｜>hi<｜Assistant｜><think>\n";
    private static LlamaEngine engine;

    @BeforeAll
    static void load() throws Exception {
        Path model = RealServers.tinyModel();
        engine = LlamaEngine.load(new LlamaEngine.Settings(model, 512, 1, 2, false),
                new ModelInfo("tiny", 512, 1, "qwen2", 0, "F32", 0, 0, true, null),
                Vocabulary.fromGguf(GgufReader.read(model)));
    }

    private static String generate(String prompt, Constraint constraint, GenerationResult[] result) throws Exception {
        return generate(prompt, constraint, result, 120);
    }

    private static String generate(String prompt, Constraint constraint, GenerationResult[] result, int maxTokens)
            throws Exception {
        StringBuilder text = new StringBuilder();
        result[0] = engine.generate(new GenerationRequest(prompt, List.of(), maxTokens, Sampling.greedy(), constraint),
                (piece, tokens) -> {
                    text.append(piece);
                    return true;
                });
        return text.toString();
    }

    @Test
    void aGrammarHoldsFromTheFirstToken() throws Exception {
        GenerationResult[] result = new GenerationResult[1];

        String text = generate("ping", Constraint.always("root ::= \"{\\\"ok\\\": \" (\"true\" | \"false\") \"}\""),
                result);

        assertThat(text).isIn("{\"ok\": true}", "{\"ok\": false}");
        assertThat(result[0].reason()).isEqualTo(FinishReason.STOP);
    }

    private static final String THOUGHT_AND_CLOSE = String.join("", TinyModel.THINKING_PIECES) + "</think>\n\n";

    @Test
    void aLazyGrammarTriggeredByAnOrdinaryWordHoldsFromThatWordOn() throws Exception {
        GenerationResult[] result = new GenerationResult[1];

        String text = generate(CHAT_PROMPT, new Constraint("root ::= \"Hello\" \" yes\"", List.of("Hello")), result);

        assertThat(text).isEqualTo(THOUGHT_AND_CLOSE + "Hello yes");
        assertThat(result[0].reason()).isEqualTo(FinishReason.STOP);
    }

    /**
     * A trap for structured outputs: in b4916 a lazy grammar whose trigger is a special token such as
     * {@code </think>} never starts (with or without the trigger at the grammar's start), so the answer after the
     * thought is not constrained. Thinking models must be constrained another way (a second generation after the
     * thought, constrained from its first token).
     */
    @Test
    void aLazyGrammarTriggeredByASpecialTokenNeverStartsInB4916() throws Exception {
        GenerationResult[] result = new GenerationResult[1];
        String answer = String.join("", TinyModel.ANSWER_PIECES) + " 😊";

        String withTrigger = generate(CHAT_PROMPT, new Constraint("root ::= \"</think>\" \"\\n\\n{}\"",
                List.of("</think>")), result);
        String withoutTrigger = generate(CHAT_PROMPT, new Constraint("root ::= \"\\n\\n{}\"",
                List.of("</think>")), result);

        assertThat(withTrigger).isEqualTo(THOUGHT_AND_CLOSE + answer);
        assertThat(withoutTrigger).isEqualTo(THOUGHT_AND_CLOSE + answer);
    }

    /** Our compiler's output is a grammar llama.cpp b4916 takes, and what it makes the model write validates. */
    @Test
    void aCompiledSchemaConstrainsTheRealEngineToValidJson() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode schema = json.readTree("""
                {"type":"object","properties":{"answer":{"enum":["yes","no"]},"sure":{"type":"boolean"},
                 "n":{"type":"integer","minimum":1,"maximum":5}},"required":["answer","sure","n"]}""");
        String grammar = dev.ggufserver.grammar.JsonSchemaGrammar.compile(schema);
        GenerationResult[] result = new GenerationResult[1];

        // the whitespace between tokens is bounded, but a model that likes spaces may use it all
        String text = generate("ping", Constraint.always(grammar), result, 240);

        assertThat(result[0].reason()).as(text).isEqualTo(FinishReason.STOP);
        com.fasterxml.jackson.databind.JsonNode answer = json.readTree(text);
        assertThat(answer.get("answer").asText()).isIn("yes", "no");
        assertThat(answer.get("sure").isBoolean()).isTrue();
        assertThat(answer.get("n").asInt()).isBetween(1, 5);
        assertThat(answer.size()).isEqualTo(3);
    }
}
