package dev.ggufserver.generation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.engine.Constraint;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.engine.llama.LlamaEngine;
import dev.ggufserver.grammar.StructuredOutput;
import dev.ggufserver.grammar.ToolCallGrammar;
import dev.ggufserver.output.ToolCall;
import dev.ggufserver.output.ToolCallFormat;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.support.InProcessEngines;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.support.RecordingSink;
import dev.ggufserver.template.ChatTemplate;
import dev.ggufserver.testmodel.TinyModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Tool calls through the real llama.cpp on the tiny scripted model: read out of the answer, guarded by a grammar
 * once the model opens one under "auto", and forced (after the free thought) under "required".
 */
class ToolCallGenerationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WEATHER_PROMPT = "<｜User｜>what is the forecast for Paris<｜Assistant｜><think>\n";
    private static final String HI_PROMPT = "<｜User｜>hi<｜Assistant｜><think>\n";
    private static LlamaEngine engine;
    private static CompletionRunner runner;

    @BeforeAll
    static void load() throws Exception {
        engine = InProcessEngines.tiny(RealServers.tinyModel(), 512);
        runner = ServedModel.of(engine, new ChatTemplate("x", "", "", false), ReasoningFormat.DEEPSEEK,
                Duration.ofSeconds(5)).runner();
    }

    record Answer(String reasoning, String content, List<ToolCall> calls, FinishReason reason) {
    }

    private static Answer run(PreparedCompletion completion) throws Exception {
        RecordingSink sink = new RecordingSink();
        runner.run(completion, sink);
        return new Answer(sink.reasoning.toString(), sink.content.toString(), sink.calls.calls(), sink.reason);
    }

    private static List<ToolCallGrammar.Tool> tools(String citySchema) throws Exception {
        return List.of(new ToolCallGrammar.Tool("get_weather", JSON.readTree("{\"type\":\"object\",\"properties\":"
                + "{\"city\":" + citySchema + "},\"required\":[\"city\"]}")),
                new ToolCallGrammar.Tool("get_time", JSON.readTree("{\"type\":\"object\",\"properties\":"
                        + "{\"zone\":{\"enum\":[\"CET\",\"UTC\"]}},\"required\":[\"zone\"]}")));
    }

    private static PreparedCompletion auto(String prompt, List<ToolCallGrammar.Tool> tools) {
        ToolCallFormat format = ToolCallFormat.DEEPSEEK_R1;
        return new PreparedCompletion(new GenerationRequest(prompt, 200, Sampling.greedy()), List.of(),
                ReasoningFormat.DEEPSEEK, true, null, true, ToolUse.auto(format, tools, true));
    }

    @Test
    void aCallTheModelWritesIsReadOutOfItsAnswer() throws Exception {
        Answer a = run(auto(WEATHER_PROMPT, tools("{\"type\":\"string\"}")));

        assertThat(a.reasoning()).isEqualTo(TinyModel.THINKING);
        assertThat(a.content()).isEmpty();
        assertThat(a.calls()).singleElement().satisfies(c -> {
            assertThat(c.name()).isEqualTo(TinyModel.TOOL_CALL_NAME);
            assertThat(c.arguments()).isEqualTo(TinyModel.TOOL_CALL_ARGUMENTS);
        });
        assertThat(a.reason()).isEqualTo(FinishReason.TOOL_CALLS);
    }

    /** The model writes Paris; the tool only takes Lyon: once the call is open, the grammar holds it to the schema. */
    @Test
    void aCallTheModelOpensUnderAutoIsHeldToTheToolsSchema() throws Exception {
        Answer a = run(auto(WEATHER_PROMPT, tools("{\"enum\":[\"Lyon\"]}")));

        assertThat(a.calls()).singleElement().satisfies(c -> {
            assertThat(c.name()).isIn("get_weather", "get_time");
            JsonNode arguments = JSON.readTree(c.arguments());
            if (c.name().equals("get_weather")) {
                assertThat(arguments.get("city").asText()).isEqualTo("Lyon");
            } else {
                assertThat(arguments.get("zone").asText()).isIn("CET", "UTC");
            }
        });
        assertThat(a.reason()).isEqualTo(FinishReason.TOOL_CALLS);
    }

    @Test
    void underAutoAModelThatDoesNotCallAnswers() throws Exception {
        Answer a = run(auto(HI_PROMPT, tools("{\"type\":\"string\"}")));

        assertThat(a.content()).isEqualTo(TinyModel.ANSWER);
        assertThat(a.calls()).isEmpty();
        assertThat(a.reason()).isEqualTo(FinishReason.STOP);
    }

    /**
     * The other families under auto: Hermes (two calls, each marker split across tokens), Llama 3's bare JSON (a
     * call only at the answer's start) and Mistral's {@code [TOOL_CALLS]}, each stopped at its opening and finished
     * under the grammar, read out of the real engine's pieces.
     */
    @ParameterizedTest
    @EnumSource(value = TinyModel.ToolSyntax.class, names = {"HERMES", "LLAMA3_JSON", "MISTRAL"})
    void callsOfEachFamilyAreOpenedGuardedAndRead(TinyModel.ToolSyntax syntax) throws Exception {
        Path model = syntax == TinyModel.ToolSyntax.HERMES ? RealServers.tinyModelHermes()
                : RealServers.tinyModelCalling(syntax);
        LlamaEngine calling = InProcessEngines.tiny(model, 512);
        CompletionRunner callingRunner = ServedModel.of(calling, new ChatTemplate("x", "", "", false),
                ReasoningFormat.DEEPSEEK, Duration.ofSeconds(5)).runner();
        ToolCallFormat format = ToolCallFormat.valueOf(syntax.name());
        PreparedCompletion completion = new PreparedCompletion(new GenerationRequest(WEATHER_PROMPT, 200,
                Sampling.greedy()), List.of(), ReasoningFormat.DEEPSEEK, true, null, true,
                ToolUse.auto(format, tools("{\"type\":\"string\"}"), true));

        // the script writes Paris; a schema that does not allow it shows that the grammar took over at the opening
        PreparedCompletion guarded = new PreparedCompletion(new GenerationRequest(WEATHER_PROMPT, 200,
                Sampling.greedy()), List.of(), ReasoningFormat.DEEPSEEK, true, null, true,
                ToolUse.auto(format, tools("{\"enum\":[\"Lyon\",\"Nice\"]}"), false));

        CompletionRunner saved = runner;
        runner = callingRunner;
        Answer a;
        Answer held;
        try {
            a = run(completion);
            held = run(guarded);
        } finally {
            runner = saved;
        }

        assertThat(held.calls()).as(held.toString()).singleElement().satisfies(c ->
                assertThat(JSON.readTree(c.arguments()).get("city").asText()).isIn("Lyon", "Nice"));
        assertThat(a.reasoning()).isEqualTo(TinyModel.THINKING);
        assertThat(a.content()).as(a.toString()).isEmpty();
        List<String> names = syntax == TinyModel.ToolSyntax.HERMES ? List.of("get_weather", "get_time")
                : List.of("get_weather");
        assertThat(a.calls()).as(a.toString()).extracting(ToolCall::name).containsExactlyElementsOf(names);
        assertThat(JSON.readTree(a.calls().get(0).arguments()).get("city").asText()).isEqualTo("Paris");
        if (names.size() > 1) {
            assertThat(JSON.readTree(a.calls().get(1).arguments()).get("zone").asText()).isEqualTo("CET");
        }
        assertThat(a.reason()).isEqualTo(FinishReason.TOOL_CALLS);
    }

    /**
     * "hi" never makes the model call a tool; required does, after the free thought: every family's grammar,
     * forced on the model, is read back as one valid call (parallel_tool_calls false).
     */
    @ParameterizedTest
    @EnumSource(ToolCallFormat.class)
    void requiredWorksInEveryFamily(ToolCallFormat format) throws Exception {
        String grammar = ToolCallGrammar.calls(format, tools("{\"enum\":[\"Paris\",\"Lyon\"]}"), false);
        PreparedCompletion required = new PreparedCompletion(new GenerationRequest(HI_PROMPT, List.of(), 300,
                Sampling.greedy(), Constraint.always(grammar)), List.of(), ReasoningFormat.DEEPSEEK, true,
                StructuredOutput.toolCalls(grammar), true, ToolUse.parsed(format));

        Answer a = run(required);

        assertThat(a.reasoning()).isEqualTo(TinyModel.THINKING);
        assertThat(a.content()).as(a.toString()).isEmpty();
        assertThat(a.calls()).as(a.toString()).singleElement().satisfies(c -> {
            JsonNode arguments = JSON.readTree(c.arguments());
            assertThat(c.name()).isIn("get_weather", "get_time");
            assertThat(arguments.get(c.name().equals("get_weather") ? "city" : "zone").asText())
                    .isIn("Paris", "Lyon", "CET", "UTC");
        });
        assertThat(a.reason()).isEqualTo(FinishReason.TOOL_CALLS);
    }
}
