package dev.ggufserver.reasoning;

import java.util.Locale;
import java.util.Optional;

/** How a model's thinking reaches clients, named as llama-server names the option. */
public enum ReasoningFormat {
    /** Thinking goes to {@code reasoning_content}, the answer to {@code content}. */
    DEEPSEEK,
    /** The raw text, tags and all, goes to {@code content}. */
    NONE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ReasoningFormat> parse(String value) {
        for (ReasoningFormat f : values()) {
            if (f.wireName().equals(value)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    public ThinkSplitter splitterFor(String renderedPrompt) {
        return this == NONE ? ThinkSplitter.passthrough() : ThinkSplitter.forPrompt(renderedPrompt);
    }
}
