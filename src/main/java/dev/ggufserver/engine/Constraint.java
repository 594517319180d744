package dev.ggufserver.engine;

import java.util.List;

/**
 * A grammar the output must follow (GBNF, as llama.cpp reads it), checked before it gets here: the engine passes it
 * on as it is.
 *
 * @param grammar      GBNF text with a {@code root} rule
 * @param triggerWords empty: the grammar holds from the first token. Otherwise the grammar is lazy: the output is
 *                     free until one of these words appears, and from there on (the word included) it follows the
 *                     grammar, which must therefore begin with the word. In llama.cpp b4916 only ordinary words
 *                     trigger: a special token such as {@code </think>} never does (ConstrainedGenerationTest), so
 *                     a thinking model's answer is constrained by a second generation after its thought instead
 */
public record Constraint(String grammar, List<String> triggerWords) {
    public Constraint {
        if (grammar == null || grammar.isBlank()) {
            throw new IllegalArgumentException("a constraint needs a grammar");
        }
        triggerWords = List.copyOf(triggerWords);
    }

    /** The grammar holds from the first token. */
    public static Constraint always(String grammar) {
        return new Constraint(grammar, List.of());
    }

    public boolean lazy() {
        return !triggerWords.isEmpty();
    }
}
