package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.generation.PreparedCompletion;
import dev.ggufserver.generation.ServedModel;
import dev.ggufserver.generation.Timings;
import dev.ggufserver.generation.ToolUse;
import dev.ggufserver.generation.Usage;
import dev.ggufserver.output.MessageDelta;
import dev.ggufserver.output.ToolCallFolder;
import dev.ggufserver.output.ToolCallFormat;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.server.Json;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.support.RecordingSink;
import dev.ggufserver.template.ChatTemplate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tool calls on the way out: the runner reads them from the model's text with the template family's parser, and
 * the chat shape streams them as OpenAI does (one call piece per chunk) and folds them into {@code tool_calls}.
 */
class ToolCallResponseTest {
    private static final ObjectMapper JSON = Json.mapper();
    private static final List<String> R1_PIECES = List.of("Okay", ".</think>\n\n", "<｜tool▁calls▁begin｜>",
            "<｜tool▁call▁begin｜>", "function", "<｜tool▁sep｜>", "get_weather\n", "```", "json\n", "{\"city\":",
            " \"Paris\"}", "\n```", "<｜tool▁call▁end｜>", "<｜tool▁calls▁end｜>");

    record Recorded(List<MessageDelta> deltas, FinishReason reason) {
    }

    private static Recorded run(List<String> pieces, ToolCallFormat format) throws Exception {
        FakeEngine engine = new FakeEngine(512, 1).script(pieces.toArray(String[]::new));
        ServedModel model = ServedModel.of(engine, new ChatTemplate("x", "", "", false), ReasoningFormat.DEEPSEEK,
                Duration.ofSeconds(5));
        RecordingSink sink = new RecordingSink();
        model.runner().run(new PreparedCompletion(new GenerationRequest("<think>\n", 100, Sampling.greedy()),
                List.of(), ReasoningFormat.DEEPSEEK, true, null, false, format == null ? null : ToolUse.parsed(format)),
                sink);
        engine.close();
        return new Recorded(sink.deltas, sink.reason);
    }

    @Test
    void theRunnerReadsCallsOutOfTheAnswerAndEndsWithToolCalls() throws Exception {
        Recorded r = run(R1_PIECES, ToolCallFormat.DEEPSEEK_R1);

        ToolCallFolder folder = new ToolCallFolder();
        StringBuilder content = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        r.deltas().forEach(d -> {
            folder.add(d.toolCalls());
            content.append(d.content());
            reasoning.append(d.reasoning());
        });
        assertThat(r.reason()).isEqualTo(FinishReason.TOOL_CALLS);
        assertThat(reasoning).hasToString("Okay.");
        assertThat(content).isEmpty();
        assertThat(folder.calls()).singleElement().satisfies(c -> {
            assertThat(c.name()).isEqualTo("get_weather");
            assertThat(JSON.readTree(c.arguments()).get("city").asText()).isEqualTo("Paris");
        });
    }

    @Test
    void withoutToolsTheSameTextIsContentAndEndsWithStop() throws Exception {
        Recorded r = run(R1_PIECES, null);

        assertThat(r.reason()).isEqualTo(FinishReason.STOP);
        assertThat(r.deltas()).allSatisfy(d -> assertThat(d.toolCalls()).isEmpty());
        assertThat(r.deltas().stream().map(MessageDelta::content).reduce("", String::concat))
                .startsWith("<｜tool▁calls▁begin｜>");
    }

    @Test
    void streamedCallsAreOnePiecePerChunkAndFoldIntoToolCalls() throws Exception {
        Recorded r = run(R1_PIECES, ToolCallFormat.DEEPSEEK_R1);
        ChatShape shape = new ChatShape("chatcmpl-x", 1, "m", null);

        List<JsonNode> calls = new ArrayList<>();
        ToolCallFolder folder = new ToolCallFolder();
        for (MessageDelta d : r.deltas()) {
            folder.add(d.toolCalls());
            for (Object chunk : shape.deltaChunks(d)) {
                JsonNode delta = JSON.valueToTree(chunk).get("choices").get(0).get("delta");
                if (delta.has("tool_calls")) {
                    assertThat(delta.get("tool_calls")).hasSize(1);
                    assertThat(delta.has("content")).isFalse();
                    calls.add(delta.get("tool_calls").get(0));
                }
            }
        }
        JsonNode first = calls.get(0);
        assertThat(first.get("index").asInt()).isZero();
        assertThat(first.get("id").asText()).startsWith("call_");
        assertThat(first.get("type").asText()).isEqualTo("function");
        assertThat(first.get("function").get("name").asText()).isEqualTo("get_weather");
        assertThat(first.get("function").get("arguments").asText()).isEmpty();
        StringBuilder arguments = new StringBuilder();
        for (JsonNode later : calls.subList(1, calls.size())) {
            assertThat(later.has("id")).isFalse();
            assertThat(later.has("type")).isFalse();
            assertThat(later.get("function").has("name")).isFalse();
            arguments.append(later.get("function").get("arguments").asText());
        }
        assertThat(calls.size()).isGreaterThan(1);
        assertThat(arguments).hasToString("{\"city\": \"Paris\"}");

        JsonNode finish = JSON.valueToTree(shape.finishChunk(FinishReason.TOOL_CALLS, null)).get("choices").get(0);
        assertThat(finish.get("finish_reason").asText()).isEqualTo("tool_calls");
        JsonNode whole = JSON.valueToTree(shape.complete("Okay.", "", folder.calls(), FinishReason.TOOL_CALLS,
                new Usage(1, 2, 1), new Timings(0, 1, 0, 2, 0))).get("choices").get(0);
        assertThat(whole.get("finish_reason").asText()).isEqualTo("tool_calls");
        JsonNode message = whole.get("message");
        assertThat(message.get("content").isNull()).isTrue();
        assertThat(message.get("reasoning_content").asText()).isEqualTo("Okay.");
        assertThat(message.get("tool_calls").get(0).get("id").asText()).isEqualTo(first.get("id").asText());
        assertThat(message.get("tool_calls").get(0).get("function").get("arguments").asText())
                .isEqualTo("{\"city\": \"Paris\"}");
    }
}
