package dev.ggufserver.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.ggufserver.output.MessageDelta;
import dev.ggufserver.output.OutputParser;
import dev.ggufserver.output.ToolCall;
import dev.ggufserver.output.ToolCallFolder;
import dev.ggufserver.output.ToolCallFormat;
import dev.ggufserver.reasoning.ThinkSplitter;
import dev.ggufserver.support.Chunking;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each family's call grammar and its parser agree: whatever the grammar lets a model write, the family's parser
 * reads back as calls of the given tools, with arguments valid under their schemas, and no text left over. Both the
 * whole-answer grammar (required, a named tool) and the grammar after each opening (auto) are sampled.
 */
class ToolCallGrammarTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SAMPLES = 60;
    private static final Map<String, String> TOOLS = Map.of(
            "get_weather", "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":12},"
                    + "\"days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":7}},\"required\":[\"city\"]}",
            "get_time", "{\"type\":\"object\",\"properties\":{\"zone\":{\"enum\":[\"CET\",\"UTC\",\"a \\\"quoted\\\" }\"]}},"
                    + "\"required\":[\"zone\"],\"additionalProperties\":false}");

    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    private static List<ToolCallGrammar.Tool> tools() throws Exception {
        return List.of(new ToolCallGrammar.Tool("get_weather", JSON.readTree(TOOLS.get("get_weather"))),
                new ToolCallGrammar.Tool("get_time", JSON.readTree(TOOLS.get("get_time"))));
    }

    @Test
    void whatTheCallsGrammarAllowsIsReadBackAsValidCalls() throws Exception {
        long seed = 13;
        for (ToolCallFormat format : ToolCallFormat.values()) {
            for (boolean parallel : new boolean[] {false, true}) {
                String grammar = ToolCallGrammar.calls(format, tools(), parallel);
                Gbnf.check(grammar);
                GbnfSampler sampler = new GbnfSampler(grammar, seed++);
                for (int i = 0; i < SAMPLES; i++) {
                    String answer = sampler.sample(10);
                    assertReadsAsCalls(format, answer, parallel, grammar);
                }
            }
        }
    }

    @Test
    void whatFollowsEachOpeningIsReadBackAsValidCalls() throws Exception {
        long seed = 77;
        for (ToolCallFormat format : ToolCallFormat.values()) {
            for (ToolCallGrammar.Opening opening : ToolCallGrammar.openings(format)) {
                String grammar = ToolCallGrammar.afterOpening(format, opening, tools(), true);
                Gbnf.check(grammar);
                GbnfSampler sampler = new GbnfSampler(grammar, seed++);
                for (int i = 0; i < SAMPLES; i++) {
                    String answer = opening.text() + sampler.sample(10);
                    if (format == ToolCallFormat.GENERIC && answer.startsWith("{\"response\"")) {
                        String said = JSON.readTree(answer).get("response").asText();
                        assertThat(read(format, List.of(answer)).content()).isEqualTo(said);
                        continue;
                    }
                    assertReadsAsCalls(format, answer, true, grammar);
                }
            }
        }
    }

    @Test
    void aCallOpeningCountsAtTheStartOfTheAnswerOnlyWhereTheFamilySaysSo() {
        for (ToolCallFormat format : ToolCallFormat.values()) {
            for (ToolCallGrammar.Opening opening : ToolCallGrammar.openings(format)) {
                assertThat(opening.atAnswerStart()).as(format + " " + opening.text())
                        .isEqualTo(opening.text().equals("{"));
            }
        }
    }

    private void assertReadsAsCalls(ToolCallFormat format, String answer, boolean parallel, String grammar)
            throws Exception {
        for (List<String> pieces : List.of(List.of(answer), Chunking.pieces(answer, 1), Chunking.pieces(answer, 3))) {
            Read read = read(format, pieces);
            assertThat(read.content()).as("%s: %s\n%s", format, answer, grammar).isEmpty();
            assertThat(read.calls()).as("%s: %s", format, answer).isNotEmpty();
            if (!parallel) {
                assertThat(read.calls()).as("%s: %s", format, answer).hasSize(1);
            }
            for (ToolCall call : read.calls()) {
                assertThat(TOOLS).as(answer).containsKey(call.name());
                JsonNode arguments = JSON.readTree(call.arguments());
                JsonSchema schema = factory.getSchema(JSON.readTree(TOOLS.get(call.name())));
                assertThat(schema.validate(arguments)).as("%s: %s", format, answer).isEmpty();
            }
        }
    }

    record Read(String content, List<ToolCall> calls) {
    }

    static Read read(ToolCallFormat format, List<String> pieces) {
        OutputParser parser = new OutputParser(ThinkSplitter.passthrough(), format.newParser());
        StringBuilder content = new StringBuilder();
        ToolCallFolder folder = new ToolCallFolder();
        for (String piece : pieces) {
            MessageDelta d = parser.accept(piece);
            content.append(d.content());
            folder.add(d.toolCalls());
        }
        MessageDelta d = parser.finish();
        content.append(d.content());
        folder.add(d.toolCalls());
        return new Read(content.toString(), folder.calls());
    }
}
