package dev.ggufserver.output;

import java.util.Locale;
import java.util.Optional;

/** The tool-call syntaxes the server reads, one parser each, and how a chat template tells which a model writes. */
public enum ToolCallFormat {
    /** {@code <｜tool▁calls▁begin｜>…}: DeepSeek-R1 and its distills. */
    DEEPSEEK_R1,
    /** {@code <tool_call>{…}</tool_call>}: Hermes, Qwen2.5 and many fine-tunes. */
    HERMES;

    public ToolCallParser newParser() {
        return switch (this) {
            case DEEPSEEK_R1 -> new DeepSeekR1ToolCalls();
            case HERMES -> new HermesToolCalls();
        };
    }

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
     * The format a model writes calls in: DeepSeek-R1's when its template speaks R1's call tokens, else Hermes'
     * (Qwen2.5's and Hermes' own, and the one the server describes in the system prompt of a template that knows
     * no tools). The same rule as the template package's {@code ToolPrompt.formatFor} (ToolCallFormatTest).
     */
    public static ToolCallFormat fromTemplate(String templateSource) {
        return templateSource.contains(DeepSeekR1ToolCalls.CALLS_BEGIN) ? DEEPSEEK_R1 : HERMES;
    }
}
