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
     * The format a chat template shows: Hermes' when it writes {@code <tool_call>}, DeepSeek-R1's when it writes
     * R1's call markers or its role tokens, else Hermes' (the format the server describes in the system prompt
     * for templates that know no tools).
     */
    public static ToolCallFormat fromTemplate(String templateSource) {
        if (templateSource.contains(HermesToolCalls.OPEN)) {
            return HERMES;
        }
        if (templateSource.contains("tool▁calls▁begin") || templateSource.contains("｜Assistant｜")) {
            return DEEPSEEK_R1;
        }
        return HERMES;
    }
}
