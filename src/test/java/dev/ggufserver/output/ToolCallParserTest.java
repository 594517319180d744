package dev.ggufserver.output;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.reasoning.ThinkSplitter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The tool-call parsers, fed whole and in every chunking: same calls, same content, never a marker in content. */
class ToolCallParserTest {
    static final String R1_TWO_CALLS = "Let me check both."
            + "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n"
            + "{\"city\": \"Paris\", \"note\": \"a ``` fence, in a string\"}\n```<｜tool▁call▁end｜>\n"
            + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time\n```json\n{\"zone\": \"CET\"}\n```"
            + "<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
    static final String HERMES_TWO_CALLS = "Let me check both.\n<tool_call>\n{\"name\": \"get_weather\", "
            + "\"arguments\": {\"city\": \"Paris\", \"note\": \"a } brace, in a string \\\" and a quote\"}}\n</tool_call>\n"
            + "<tool_call>\n{\"arguments\": {\"zone\": \"CET\"}, \"name\": \"get_time\"}\n</tool_call>";

    static final String LLAMA3_TWO_CALLS = "  {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", "
            + "\"note\": \"a } brace\"}}; {\"type\": \"function\", \"name\": \"get_time\", \"parameters\": "
            + "{\"zone\": \"CET\"}}";
    static final String MISTRAL_TWO_CALLS = "Let me check both.[TOOL_CALLS] [{\"name\": \"get_weather\", "
            + "\"arguments\": {\"city\": \"Paris\", \"note\": \"a ] bracket\"}, \"id\": \"a1B2c3D4e\"}, "
            + "{\"id\": \"f5G6h7I8j\", \"name\": \"get_time\", \"arguments\": {\"zone\": \"CET\"}}]";
    static final String MISTRAL_V11_TWO_CALLS = "Let me check both.[TOOL_CALLS]get_weather[ARGS]{\"city\": "
            + "\"Paris\", \"note\": \"a ] bracket\"}[TOOL_CALLS]get_time[CALL_ID]f5G6h7I8j[ARGS]{\"zone\": \"CET\"}";
    static final String GENERIC_TWO_CALLS = "{\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": "
            + "{\"city\": \"Paris\", \"note\": \"a ] bracket\"}}, {\"name\": \"get_time\", \"arguments\": "
            + "{\"zone\": \"CET\"}}]}";
    static final List<String[]> TWO_CALLS = List.of(
            new String[] {"get_weather", "{\"city\": \"Paris\", \"note\": \"a } brace\"}"},
            new String[] {"get_time", "{\"zone\": \"CET\"}"});

    record Folded(String reasoning, String content, List<ToolCall> calls, int deltas) {
    }

    static Folded fold(OutputParser parser, List<String> pieces) {
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        ToolCallFolder folder = new ToolCallFolder();
        int deltas = 0;
        List<MessageDelta> all = new ArrayList<>();
        for (String piece : pieces) {
            all.add(parser.accept(piece));
        }
        all.add(parser.finish());
        for (MessageDelta d : all) {
            reasoning.append(d.reasoning());
            content.append(d.content());
            folder.add(d.toolCalls());
            deltas += d.toolCalls().size();
        }
        return new Folded(reasoning.toString(), content.toString(), folder.calls(), deltas);
    }

    static List<List<String>> chunkings(String text) {
        List<List<String>> result = new ArrayList<>();
        result.add(List.of(text));
        List<String> chars = new ArrayList<>();
        text.codePoints().forEach(c -> chars.add(new String(Character.toChars(c))));
        result.add(chars);
        for (int i = 1; i < text.length(); i++) {
            if (!Character.isLowSurrogate(text.charAt(i))) {
                result.add(List.of(text.substring(0, i), text.substring(i)));
            }
        }
        return result;
    }

    private static void assertEveryChunkingGives(String text, Supplier<ToolCallParser> parser, String content,
                                                 List<String[]> calls) {
        for (List<String> pieces : chunkings(text)) {
            Folded f = fold(new OutputParser(ThinkSplitter.passthrough(), parser.get()), pieces);
            assertThat(f.content()).as(pieces.toString()).isEqualTo(content);
            assertThat(f.calls()).as(pieces.toString()).hasSize(calls.size());
            for (int i = 0; i < calls.size(); i++) {
                assertThat(f.calls().get(i).name()).isEqualTo(calls.get(i)[0]);
                assertThat(f.calls().get(i).arguments()).as(pieces.toString()).isEqualTo(calls.get(i)[1]);
                assertThat(f.calls().get(i).id()).matches("call_[0-9A-Za-z]{24}");
            }
        }
    }

    @Test
    void deepSeekR1CallsAreFoundHoweverTheTextIsChunked() {
        assertEveryChunkingGives(R1_TWO_CALLS, DeepSeekR1ToolCalls::new, "Let me check both.", List.of(
                new String[] {"get_weather", "{\"city\": \"Paris\", \"note\": \"a ``` fence, in a string\"}"},
                new String[] {"get_time", "{\"zone\": \"CET\"}"}));
    }

    @Test
    void hermesCallsAreFoundHoweverTheTextIsChunked() {
        assertEveryChunkingGives(HERMES_TWO_CALLS, HermesToolCalls::new, "Let me check both.\n", List.of(
                new String[] {"get_weather", "{\"city\": \"Paris\", \"note\": \"a } brace, in a string \\\" and a quote\"}"},
                new String[] {"get_time", "{\"zone\":\"CET\"}"}));
    }

    @Test
    void argumentsStreamAsTheyComeAndACallStartsWithItsName() {
        DeepSeekR1ToolCalls parser = new DeepSeekR1ToolCalls();

        MessageDelta head = parser.accept("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n");
        MessageDelta first = parser.accept("{\"a\": ");
        MessageDelta second = parser.accept("1}\n``");

        assertThat(head.toolCalls()).singleElement().satisfies(d -> {
            assertThat(d.isStart()).isTrue();
            assertThat(d.name()).isEqualTo("f");
            assertThat(d.arguments()).isEmpty();
        });
        assertThat(first.toolCalls()).singleElement().satisfies(d -> assertThat(d.arguments()).isEqualTo("{\"a\":"));
        assertThat(second.toolCalls()).singleElement().satisfies(d -> assertThat(d.arguments()).isEqualTo(" 1}"));
        assertThat(parser.accept("`<｜tool▁call▁end｜><｜tool▁calls▁end｜>").isEmpty()).isTrue();
        assertThat(parser.calls()).isEqualTo(1);
    }

    @Test
    void textThatOnlyLooksLikeTheStartOfACallIsContent() {
        for (Supplier<ToolCallParser> p : List.<Supplier<ToolCallParser>>of(DeepSeekR1ToolCalls::new,
                HermesToolCalls::new)) {
            Folded f = fold(new OutputParser(ThinkSplitter.passthrough(), p.get()), List.of("a <tool", "▁x <｜tool", " b"));
            assertThat(f.content()).isEqualTo("a <tool▁x <｜tool b");
            assertThat(f.calls()).isEmpty();
        }
    }

    @Test
    void aBotchedCallBeforeItStartedIsTextWithoutItsMarkers() {
        Folded r1 = fold(new OutputParser(ThinkSplitter.passthrough(), new DeepSeekR1ToolCalls()),
                List.of("<｜tool▁calls▁begin｜>no call here"));
        Folded hermes = fold(new OutputParser(ThinkSplitter.passthrough(), new HermesToolCalls()),
                List.of("<tool_call>not json</tool_call> after"));

        assertThat(r1.calls()).isEmpty();
        assertThat(r1.content()).isEqualTo("no call here");
        assertThat(hermes.calls()).isEmpty();
        assertThat(hermes.content()).isEqualTo("<tool_call>not json</tool_call> after");
    }

    @Test
    void anUnfinishedCallKeepsWhatItHad() {
        Folded f = fold(new OutputParser(ThinkSplitter.passthrough(), new DeepSeekR1ToolCalls()),
                List.of("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f\n```json\n{\"a\": 1"));

        assertThat(f.calls()).singleElement().satisfies(c -> assertThat(c.arguments()).isEqualTo("{\"a\": 1"));
    }

    @Test
    void callsInsideTheThoughtAreThoughtAndTheAnswersCallsAreCalls() {
        String text = "I could write <tool_call>{\"name\": \"x\", \"arguments\": {}}</tool_call> here.</think>\n\n"
                + "<tool_call>{\"name\": \"f\", \"arguments\": {\"q\": 1}}</tool_call>";
        for (List<String> pieces : chunkings(text)) {
            Folded f = fold(new OutputParser(ThinkSplitter.insideThought(), new HermesToolCalls()), pieces);

            assertThat(f.reasoning()).as(pieces.toString())
                    .isEqualTo("I could write <tool_call>{\"name\": \"x\", \"arguments\": {}}</tool_call> here.");
            assertThat(f.content()).isEmpty();
            assertThat(f.calls()).singleElement().satisfies(c -> {
                assertThat(c.name()).isEqualTo("f");
                assertThat(c.arguments()).isEqualTo("{\"q\": 1}");
            });
        }
    }

    @Test
    void eachCallHasItsOwnId() {
        Folded f = fold(new OutputParser(ThinkSplitter.passthrough(), new DeepSeekR1ToolCalls()),
                List.of(R1_TWO_CALLS));

        assertThat(f.calls().get(0).id()).isNotEqualTo(f.calls().get(1).id());
    }

    @Test
    void llama3JsonCallsAreFoundHoweverTheTextIsChunked() {
        assertEveryChunkingGives(LLAMA3_TWO_CALLS, Llama3JsonToolCalls::new, "", TWO_CALLS);
        assertEveryChunkingGives("<|python_tag|>{\"name\": \"get_time\", \"parameters\": {\"zone\": \"CET\"}}",
                Llama3JsonToolCalls::new, "", TWO_CALLS.subList(1, 2));
    }

    @Test
    void mistralCallsAreFoundHoweverTheTextIsChunkedInBothItsSyntaxes() {
        List<String[]> calls = List.of(new String[] {"get_weather", "{\"city\": \"Paris\", \"note\": \"a ] bracket\"}"},
                TWO_CALLS.get(1));
        // a call whose id comes before its name is read whole: its arguments come back compact
        assertEveryChunkingGives(MISTRAL_TWO_CALLS, MistralToolCalls::new, "Let me check both.", List.of(calls.get(0),
                new String[] {"get_time", "{\"zone\":\"CET\"}"}));
        assertEveryChunkingGives(MISTRAL_V11_TWO_CALLS, MistralToolCalls::new, "Let me check both.", calls);
    }

    @Test
    void genericCallsAndResponsesAreRead() {
        List<String[]> calls = List.of(new String[] {"get_weather", "{\"city\":\"Paris\",\"note\":\"a ] bracket\"}"},
                new String[] {"get_time", "{\"zone\":\"CET\"}"});
        assertEveryChunkingGives(GENERIC_TWO_CALLS, GenericJsonToolCalls::new, "", calls);
        assertEveryChunkingGives("{\"response\": \"Sunny, \\\"warm\\\" {and} dry.\"}", GenericJsonToolCalls::new,
                "Sunny, \"warm\" {and} dry.", List.of());
    }

    /** Llama 3's bare JSON is a call only as the whole answer; other JSON, and JSON in prose, is content. */
    @Test
    void jsonThatIsNoCallIsContent() {
        String prose = "Use {\"name\": \"get_time\", \"parameters\": {}} to ask.";
        String otherJson = "{\"city\": \"Paris\"} is the answer";
        for (String text : List.of(prose, otherJson)) {
            assertEveryChunkingGives(text, Llama3JsonToolCalls::new, text, List.of());
            assertEveryChunkingGives(text, GenericJsonToolCalls::new, text, List.of());
        }
        assertEveryChunkingGives("[TOOL_CALLS] not a call", MistralToolCalls::new, "not a call", List.of());
        assertEveryChunkingGives("<|python_tag|>brave_search.call(query=\"x\")", Llama3JsonToolCalls::new,
                "brave_search.call(query=\"x\")", List.of());
    }

    @Test
    void everyParserKeepsAnUnfinishedCallsArgumentsAndTellsTheFormatFromTheTemplate() {
        Folded llama = fold(new OutputParser(ThinkSplitter.passthrough(), new Llama3JsonToolCalls()),
                List.of("{\"name\": \"f\", \"parameters\": {\"a\": 1"));
        Folded mistral = fold(new OutputParser(ThinkSplitter.passthrough(), new MistralToolCalls()),
                List.of("[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {\"a\": 1"));
        assertThat(llama.calls()).singleElement().satisfies(c -> assertThat(c.arguments()).isEqualTo("{\"a\": 1"));
        assertThat(mistral.calls()).singleElement().satisfies(c -> assertThat(c.arguments()).isEqualTo("{\"a\": 1"));

        assertThat(ToolCallFormat.fromTemplate("{{ '<｜tool▁calls▁begin｜>' }}")).isEqualTo(ToolCallFormat.DEEPSEEK_R1);
        assertThat(ToolCallFormat.fromTemplate("{{- '[AVAILABLE_TOOLS] [' }}...{{- '[TOOL_CALLS] [' }}"))
                .isEqualTo(ToolCallFormat.MISTRAL);
        assertThat(ToolCallFormat.fromTemplate("{{- \"<|start_header_id|>ipython<|end_header_id|>\\n\\n\" }}"))
                .isEqualTo(ToolCallFormat.LLAMA3_JSON);
        assertThat(ToolCallFormat.fromTemplate("{{- '<|python_tag|>' + tool_call.name }}"))
                .isEqualTo(ToolCallFormat.LLAMA3_JSON);
        assertThat(ToolCallFormat.fromTemplate("<tool_call>\n{{ tool_call | tojson }}\n</tool_call>"))
                .isEqualTo(ToolCallFormat.HERMES);
        assertThat(ToolCallFormat.fromTemplate("{{ messages }}")).isEqualTo(ToolCallFormat.HERMES);
        for (ToolCallFormat f : ToolCallFormat.values()) {
            assertThat(ToolCallFormat.parse(f.wireName())).contains(f);
        }
        assertThat(ToolCallFormat.LLAMA3_JSON.wireName()).isEqualTo("llama3-json");
    }
}
