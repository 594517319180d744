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
     * The format a chat template's own rendering of earlier calls shows; a template that shows none gets the
     * format the server asks for in the system prompt, DeepSeek-R1's when the template is R1's, else Hermes'.
     */
    public static ToolCallFormat fromTemplate(String templateSource) {
        if (templateSource.contains("tool▁calls▁begin") || templateSource.contains("｜Assistant｜")) {
            return DEEPSEEK_R1;
        }
        return HERMES;
    }
}
