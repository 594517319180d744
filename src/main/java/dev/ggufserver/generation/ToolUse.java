package dev.ggufserver.generation;

import dev.ggufserver.grammar.ToolCallGrammar;
import dev.ggufserver.output.ToolCallFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * How a completion with tools reads and guards calls.
 *
 * @param format   the syntax the model writes calls in (its answer is parsed with that family's parser)
 * @param openings for {@code tool_choice: "auto"}: the texts that open a call; when the model writes one in its
 *                 answer, generation stops and continues under that opening's grammar, so a call it begins is
 *                 always well-formed. Empty when the request's own constraint already makes the answer calls
 *                 ({@code required} or a named tool)
 */
public record ToolUse(ToolCallFormat format, List<Opening> openings) {
    /**
     * @param text          what the model writes to open calls
     * @param atAnswerStart it counts only as the first text of the answer (Llama 3's bare JSON call)
     * @param restGrammar   the GBNF for everything after it
     */
    public record Opening(String text, boolean atAnswerStart, String restGrammar) {
    }

    public ToolUse {
        openings = List.copyOf(openings);
    }

    /**
     * {@code tool_choice: "auto"}: every opening of the format, each with the grammar of well-formed calls of
     * {@code tools} after it. Throws {@link dev.ggufserver.grammar.UnsupportedSchemaException}.
     */
    public static ToolUse auto(ToolCallFormat format, List<ToolCallGrammar.Tool> tools, boolean parallel) {
        List<Opening> openings = new ArrayList<>();
        for (ToolCallGrammar.Opening opening : ToolCallGrammar.openings(format)) {
            openings.add(new Opening(opening.text(), opening.atAnswerStart(),
                    ToolCallGrammar.afterOpening(format, opening, tools, parallel)));
        }
        return new ToolUse(format, openings);
    }

    /** Calls are read from the answer; the request's own constraint guards them, if anything does. */
    public static ToolUse parsed(ToolCallFormat format) {
        return new ToolUse(format, List.of());
    }

    public boolean guardsOpenedCalls() {
        return !openings.isEmpty();
    }
}
