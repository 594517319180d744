package dev.ggufserver.template;

import dev.ggufserver.output.DeepSeekR1ToolCalls;
import dev.ggufserver.output.HermesToolCalls;
import dev.ggufserver.output.MistralToolCalls;
import dev.ggufserver.output.ToolCallFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The system-prompt text that tells a model about the available tools when its chat template does not: DeepSeek-R1's
 * official template renders earlier calls and their outputs but never the tools themselves, and many templates know
 * no tools at all. llama.cpp does the same for R1. The text lists each tool as one JSON line (the shape
 * {@code apply_chat_template} passes: {@code {"type": "function", "function": {name, description, parameters}}})
 * and then shows the call syntax the model should answer with.
 *
 * <p>The text comes in {@link Segment}s so that the tools' JSON, which is the client's (a description may hold
 * special-token text), is marked as content, while our own words and the call syntax keep their special tokens.
 */
public final class ToolPrompt {
    /** A piece of the text; {@code client} pieces are rendered as message content. */
    public record Segment(String text, boolean client) {
    }

    private ToolPrompt() {
    }

    /** The whole text, as {@link #segments} gives it. */
    public static String text(List<ToolDefinition> tools, ToolCallFormat format) {
        StringBuilder text = new StringBuilder();
        for (Segment s : segments(tools, format)) {
            text.append(s.text());
        }
        return text.toString();
    }

    public static List<Segment> segments(List<ToolDefinition> tools, ToolCallFormat format) {
        List<Segment> out = new ArrayList<>();
        out.add(new Segment("You can call these tools (functions), one JSON description per line:\n", false));
        for (ToolDefinition tool : tools) {
            out.add(new Segment(PythonJson.write(asTemplateSees(tool, false), -1), true));
            out.add(new Segment("\n", false));
        }
        out.add(new Segment("\n" + callSyntax(format) + "where NAME is the tool's name and {arguments} is a JSON "
                + "object that follows its parameters schema. Each call's result comes back to you in a tool message. "
                + "If no tool helps, answer normally.", false));
        return out;
    }

    /** How the model is told to write calls, in the syntax its answers are parsed in. */
    private static String callSyntax(ToolCallFormat format) {
        return switch (format) {
            case DEEPSEEK_R1 -> "To call tools, answer with exactly this and nothing after it, one "
                    + DeepSeekR1ToolCalls.CALL_BEGIN + "…" + DeepSeekR1ToolCalls.CALL_END
                    + " block per call, separated by a newline:\n" + DeepSeekR1ToolCalls.CALLS_BEGIN
                    + DeepSeekR1ToolCalls.CALL_BEGIN + "function" + DeepSeekR1ToolCalls.SEP + "NAME\n```json\n"
                    + "{arguments}\n```" + DeepSeekR1ToolCalls.CALL_END + DeepSeekR1ToolCalls.CALLS_END + "\n";
            case HERMES -> "To call tools, answer with exactly this and nothing after it, one " + HermesToolCalls.OPEN
                    + " block per call:\n" + HermesToolCalls.OPEN + "\n{\"name\": \"NAME\", \"arguments\": "
                    + "{arguments}}\n" + HermesToolCalls.CLOSE + "\n";
            case LLAMA3_JSON -> "To call a tool, answer with exactly this JSON and nothing else:\n"
                    + "{\"name\": \"NAME\", \"parameters\": {arguments}}\n";
            case MISTRAL -> "To call tools, answer with exactly this and nothing after it, one object per call:\n"
                    + MistralToolCalls.TOOL_CALLS + "[{\"name\": \"NAME\", \"arguments\": {arguments}}]\n";
            case GENERIC -> "Answer with one JSON object and nothing else: to call tools,\n"
                    + "{\"tool_calls\": [{\"name\": \"NAME\", \"arguments\": {arguments}}]}\n"
                    + "with one object per call, or, to answer in words, {\"response\": \"your answer\"}\n";
        };
    }

    /**
     * The tool as {@code apply_chat_template} hands it to a template; with {@code mark}, the client's free text
     * (the descriptions, the function's and any in the schema) is marked as content.
     */
    static Map<String, Object> asTemplateSees(ToolDefinition tool, boolean mark) {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", tool.name());
        if (tool.description() != null) {
            function.put("description", mark ? ChatTemplate.marked(tool.description()) : tool.description());
        }
        function.put("parameters", mark ? markDescriptions(tool.parameters()) : tool.parameters());
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("type", "function");
        map.put("function", function);
        return map;
    }

    /**
     * A copy with every string under a "description" key marked. Only descriptions: templates that turn a schema
     * into prose compare "type", "enum" and the like with literals, which marked strings would no longer equal.
     */
    private static Object markDescriptions(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = String.valueOf(e.getKey());
                Object v = e.getValue();
                copy.put(key, key.equals("description") && v instanceof String s ? ChatTemplate.marked(s)
                        : markDescriptions(v));
            }
            return copy;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object item : list) {
                copy.add(markDescriptions(item));
            }
            return copy;
        }
        return value;
    }
}
