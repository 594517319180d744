package dev.ggufserver.output;

import java.util.Locale;
import java.util.Optional;

/** The tool-call syntaxes the server reads, one parser each, and how a chat template tells which a model writes. */
public enum ToolCallFormat {
    /** {@code <｜tool▁calls▁begin｜>…}: DeepSeek-R1 and its distills. */
    DEEPSEEK_R1,
    /** {@code <tool_call>{…}</tool_call>}: Hermes, Qwen2.5 and many fine-tunes; also what a template without tools is told. */
    HERMES,
    /** {@code {"name": …, "parameters": {…}}} or {@code <|python_tag|>…}: Llama 3.1, 3.2 and 3.3. */
    LLAMA3_JSON,
    /** {@code [TOOL_CALLS][{…}]} or {@code [TOOL_CALLS]NAME[ARGS]{…}}: Mistral's models. */
    MISTRAL,
    /** {@code {"tool_calls": […]}} or {@code {"response": …}}: for models with no syntax of their own (only by option). */
    GENERIC;

    /** Llama 3.x templates render tool results under this role header. */
    private static final String LLAMA3_TOOL_ROLE = "ipython";
    private static final String LLAMA3_HEADER = "<|start_header_id|>";

    public ToolCallParser newParser() {
        return switch (this) {
            case DEEPSEEK_R1 -> new DeepSeekR1ToolCalls();
            case HERMES -> new HermesToolCalls();
            case LLAMA3_JSON -> new Llama3JsonToolCalls();
            case MISTRAL -> new MistralToolCalls();
            case GENERIC -> new GenericJsonToolCalls();
        };
    }

    /** The name in {@code --tool-format} and in the docs: {@code deepseek-r1}, {@code llama3-json}, … */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Optional<ToolCallFormat> parse(String name) {
        for (ToolCallFormat f : values()) {
            if (f.wireName().equals(name)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /**
     * The format a model writes calls in, from the call syntax its template renders earlier calls in: DeepSeek-R1's
     * tokens, Mistral's {@code [TOOL_CALLS]}, Llama 3's {@code ipython} role (or its {@code <|python_tag|>}); every
     * other template gets Hermes (Qwen2.5's and Hermes' own, and the one the server describes in the system prompt
     * of a template that knows no tools). The generic format is never detected.
     */
    public static ToolCallFormat fromTemplate(String templateSource) {
        if (templateSource.contains(DeepSeekR1ToolCalls.CALLS_BEGIN)) {
            return DEEPSEEK_R1;
        }
        if (templateSource.contains(MistralToolCalls.TOOL_CALLS)) {
            return MISTRAL;
        }
        if (templateSource.contains(Llama3JsonToolCalls.PYTHON_TAG)
                || templateSource.contains(LLAMA3_HEADER) && templateSource.contains(LLAMA3_TOOL_ROLE)) {
            return LLAMA3_JSON;
        }
        return HERMES;
    }
}
