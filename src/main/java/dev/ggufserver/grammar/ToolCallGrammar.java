package dev.ggufserver.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.ggufserver.output.DeepSeekR1ToolCalls;
import dev.ggufserver.output.HermesToolCalls;
import dev.ggufserver.output.Llama3JsonToolCalls;
import dev.ggufserver.output.MistralToolCalls;
import dev.ggufserver.output.ToolCallFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * Grammars that make a model write tool calls, in its template family's syntax, whose arguments are valid under
 * each tool's {@code parameters} schema: for {@code tool_choice: "required"} or a named tool (the whole answer),
 * and for the rest of a call the model began itself under {@code "auto"} (everything after an opening).
 *
 * <p>Every family writes {@code head call (separator call)* tail}, where a call is fixed text naming the tool, the
 * arguments, and fixed text after them (see {@link #syntax}).
 */
public final class ToolCallGrammar {
    /** A tool the model may call: its name and its parameters' JSON Schema. */
    public record Tool(String name, JsonNode parameters) {
    }

    /**
     * Text that opens calls: a model that writes it in its answer is calling a tool. Some families' calls only
     * count at the very start of the answer (Llama 3's bare JSON, the generic object).
     */
    public record Opening(String text, boolean atAnswerStart) {
    }

    /** A family's call syntax; {@code separator} is a GBNF fragment, the rest literal text. */
    private record Syntax(String head, String beforeArguments, String afterArguments, String separator,
                          String tail) {
    }

    private static final String NAME = "\u0000NAME\u0000";

    private ToolCallGrammar() {
    }

    /** An answer that is one or more calls (exactly one unless {@code parallel}). */
    public static String calls(ToolCallFormat format, List<Tool> tools, boolean parallel) {
        return build(format, tools, parallel, "", false);
    }

    /** The rest of an answer whose {@code opening} the model has just written ({@code tool_choice: "auto"}). */
    public static String afterOpening(ToolCallFormat format, Opening opening, List<Tool> tools, boolean parallel) {
        return build(format, tools, parallel, opening.text(), format == ToolCallFormat.GENERIC);
    }

    /** The texts that open calls in {@code format}. */
    public static List<Opening> openings(ToolCallFormat format) {
        return switch (format) {
            case DEEPSEEK_R1 -> List.of(new Opening(DeepSeekR1ToolCalls.CALLS_BEGIN, false));
            case HERMES -> List.of(new Opening(HermesToolCalls.OPEN, false));
            case LLAMA3_JSON -> List.of(new Opening("{", true), new Opening(Llama3JsonToolCalls.PYTHON_TAG, false));
            case MISTRAL -> List.of(new Opening(MistralToolCalls.TOOL_CALLS, false));
            case GENERIC -> List.of(new Opening("{", true));
        };
    }

    private static Syntax syntax(ToolCallFormat format) {
        String jsonCall = "{\"name\": \"" + NAME + "\", \"arguments\": ";
        return switch (format) {
            case DEEPSEEK_R1 -> new Syntax(DeepSeekR1ToolCalls.CALLS_BEGIN, DeepSeekR1ToolCalls.CALL_BEGIN + "function"
                    + DeepSeekR1ToolCalls.SEP + NAME + "\n```json\n", "\n```" + DeepSeekR1ToolCalls.CALL_END,
                    lit("\n") + "?", DeepSeekR1ToolCalls.CALLS_END);
            case HERMES -> new Syntax("", HermesToolCalls.OPEN + "\n" + jsonCall, "}\n" + HermesToolCalls.CLOSE,
                    lit("\n"), "");
            case LLAMA3_JSON -> new Syntax("", "{\"name\": \"" + NAME + "\", \"parameters\": ", "}", lit("\n"), "");
            case MISTRAL -> new Syntax(MistralToolCalls.TOOL_CALLS + "[", jsonCall, "}", lit(", "), "]");
            case GENERIC -> new Syntax("{\"tool_calls\": [", jsonCall, "}", lit(", "), "]}");
        };
    }

    /**
     * The calls grammar less {@code consumed}, the opening already written (stripped from the front where the
     * syntax starts with it; a marker outside the syntax, like Llama's python tag, leaves it whole). With
     * {@code response}, the generic format's {@code {"response": "…"}} answer is the other choice.
     */
    private static String build(ToolCallFormat format, List<Tool> tools, boolean parallel, String consumed,
                                boolean response) {
        if (tools.isEmpty()) {
            throw new IllegalArgumentException("no tools to call");
        }
        Syntax syntax = syntax(format);
        List<JsonNode> schemas = new ArrayList<>(tools.size() + 1);
        for (Tool t : tools) {
            schemas.add(t.parameters());
        }
        if (response) {
            schemas.add(JsonNodeFactory.instance.objectNode().put("type", "string"));
        }
        return JsonSchemaGrammar.compileAround(schemas, rules -> {
            List<String> first = new ArrayList<>(tools.size());
            List<String> next = new ArrayList<>(tools.size());
            for (int i = 0; i < tools.size(); i++) {
                String before = syntax.beforeArguments().replace(NAME, tools.get(i).name());
                String after = " " + rules.get(i) + " " + lit(syntax.afterArguments());
                first.add(lit(strip(syntax.head() + before, consumed)) + after);
                next.add(lit(before) + after);
            }
            String calls = "(" + String.join(" | ", first) + ")"
                    + (parallel ? " (" + syntax.separator() + " (" + String.join(" | ", next) + "))*" : "")
                    + (syntax.tail().isEmpty() ? "" : " " + lit(syntax.tail()));
            if (!response) {
                return calls;
            }
            return "(" + calls + ") | " + lit(strip("{\"response\": ", consumed)) + " " + rules.get(tools.size())
                    + " " + lit("}");
        });
    }

    private static String strip(String text, String consumed) {
        return text.startsWith(consumed) ? text.substring(consumed.length()) : text;
    }

    private static String lit(String text) {
        return text.isEmpty() ? "" : JsonSchemaGrammar.literal(text);
    }
}
