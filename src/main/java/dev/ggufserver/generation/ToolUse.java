package dev.ggufserver.generation;

import dev.ggufserver.output.ToolCallFormat;

/**
 * How a completion with tools reads and guards calls.
 *
 * @param format       the syntax the model writes calls in (its answer is parsed with that family's parser)
 * @param opening      for {@code tool_choice: "auto"}: the text that opens a call; when the model writes it in its
 *                     answer, generation stops and continues under {@code restGrammar}, so a call it begins is
 *                     always well-formed. Null when the request's own constraint already makes the answer calls
 *                     ({@code required} or a named tool)
 * @param restGrammar  the GBNF for everything after {@code opening}; null with it
 */
public record ToolUse(ToolCallFormat format, String opening, String restGrammar) {
    public ToolUse {
        if ((opening == null) != (restGrammar == null)) {
            throw new IllegalArgumentException("an opening needs the grammar for what follows it, and only then");
        }
    }

    /** Calls are read from the answer; the request's own constraint guards them, if anything does. */
    public static ToolUse parsed(ToolCallFormat format) {
        return new ToolUse(format, null, null);
    }

    public boolean guardsOpenedCalls() {
        return opening != null;
    }
}
