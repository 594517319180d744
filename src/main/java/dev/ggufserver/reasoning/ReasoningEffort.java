package dev.ggufserver.reasoning;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** OpenAI's {@code reasoning_effort} values: {@code none} is no thinking, the others are thinking budgets. */
public enum ReasoningEffort {
    NONE, MINIMAL, LOW, MEDIUM, HIGH, XHIGH, MAX;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<ReasoningEffort> parse(String value) {
        for (ReasoningEffort e : values()) {
            if (e.wireName().equals(value)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** {@code 'none', 'minimal', …, 'max'}, for error messages. */
    public static String quotedNames() {
        return Arrays.stream(values()).map(e -> "'" + e.wireName() + "'").collect(Collectors.joining(", "));
    }
}
