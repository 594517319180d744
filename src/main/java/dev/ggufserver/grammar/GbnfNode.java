package dev.ggufserver.grammar;

import java.util.List;

/** The parsed form of a GBNF rule body (package-private: the checker builds it, the tests walk it). */
sealed interface GbnfNode {
    /** A literal, as Unicode code points. */
    record Literal(int[] codePoints) implements GbnfNode {
    }

    /** {@code [...]} or {@code [^...]}: inclusive code-point ranges, each {@code {lo, hi}}. */
    record CharClass(boolean negated, List<int[]> ranges) implements GbnfNode {
        boolean matches(int c) {
            boolean in = false;
            for (int[] r : ranges) {
                in |= c >= r[0] && c <= r[1];
            }
            return in != negated;
        }
    }

    /** {@code .}: any one code point. */
    record Any() implements GbnfNode {
    }

    record Ref(String name, int line, int column) implements GbnfNode {
    }

    record Sequence(List<GbnfNode> items) implements GbnfNode {
    }

    record Alternatives(List<GbnfNode> options) implements GbnfNode {
    }

    /** {@code max} is -1 for no upper bound. */
    record Repeat(GbnfNode item, int min, int max) implements GbnfNode {
    }
}
