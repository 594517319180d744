package dev.ggufserver.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserver.output.DeepSeekR1ToolCalls;
import dev.ggufserver.output.HermesToolCalls;
import dev.ggufserver.output.ToolCallFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * Grammars that make a model write tool calls, in its template family's syntax, whose arguments are valid under
 * each tool's {@code parameters} schema: for {@code tool_choice: "required"} or a named tool (the whole answer),
 * and for the rest of a call the model began itself under {@code "auto"} (everything after the opening marker).
 */
public final class ToolCallGrammar {
    /** A tool the model may call: its name and its parameters' JSON Schema. */
    public record Tool(String name, JsonNode parameters) {
    }

    private ToolCallGrammar() {
    }

    /** An answer that is one or more calls (exactly one unless {@code parallel}). */
    public static String calls(ToolCallFormat format, List<Tool> tools, boolean parallel) {
        return build(format, tools, parallel, true);
    }

    /** The rest of an answer whose opening call marker the model has just written. */
    public static String afterOpening(ToolCallFormat format, List<Tool> tools, boolean parallel) {
        return build(format, tools, parallel, false);
    }

    /** The text that opens the calls; a model that writes it is calling a tool. */
    public static String opening(ToolCallFormat format) {
        return switch (format) {
            case DEEPSEEK_R1 -> DeepSeekR1ToolCalls.CALLS_BEGIN;
            case HERMES -> HermesToolCalls.OPEN;
        };
    }

    private static String build(ToolCallFormat format, List<Tool> tools, boolean parallel, boolean withOpening) {
        if (tools.isEmpty()) {
            throw new IllegalArgumentException("no tools to call");
        }
        List<JsonNode> schemas = new ArrayList<>(tools.size());
        for (Tool t : tools) {
            schemas.add(t.parameters());
        }
        return JsonSchemaGrammar.compileAround(schemas, argumentRules -> {
            List<String> alternatives = new ArrayList<>(tools.size());
            for (int i = 0; i < tools.size(); i++) {
                alternatives.add(call(format, tools.get(i).name(), argumentRules.get(i)));
            }
            String call = "(" + String.join(" | ", alternatives) + ")";
            return switch (format) {
                // <｜tool▁calls▁begin｜> call ("\n"? call)* <｜tool▁calls▁end｜>
                case DEEPSEEK_R1 -> (withOpening ? lit(DeepSeekR1ToolCalls.CALLS_BEGIN) + " " : "") + call
                        + (parallel ? " (\"\\n\"? " + call + ")*" : "") + " " + lit(DeepSeekR1ToolCalls.CALLS_END);
                // <tool_call>{…}</tool_call> ("\n" <tool_call>{…}</tool_call>)*
                case HERMES -> (withOpening ? lit(HermesToolCalls.OPEN) + " " : "") + call
                        + (parallel ? " (\"\\n\" " + lit(HermesToolCalls.OPEN) + " " + call + ")*" : "");
            };
        });
    }

    /** One call of {@code name}; {@code arguments} is the rule for its arguments. */
    private static String call(ToolCallFormat format, String name, String arguments) {
        return switch (format) {
            case DEEPSEEK_R1 -> lit(DeepSeekR1ToolCalls.CALL_BEGIN + "function" + DeepSeekR1ToolCalls.SEP + name
                    + "\n```json\n") + " " + arguments + " " + lit("\n```" + DeepSeekR1ToolCalls.CALL_END);
            case HERMES -> lit("\n{\"name\": \"" + name + "\", \"arguments\": ") + " " + arguments + " "
                    + lit("}\n" + HermesToolCalls.CLOSE);
        };
    }

    private static String lit(String text) {
        return JsonSchemaGrammar.literal(text);
    }
}
