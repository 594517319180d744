package dev.ggufserver.support;

import dev.ggufserver.reasoning.ThinkSplitter;
import java.util.ArrayList;
import java.util.List;

/** Cuts text into pieces the way a model's stream might: whole, per character, in small chunks. */
public final class Chunking {
    private Chunking() {
    }

    /** Pieces of {@code size} code points (never splitting a surrogate pair, as decoded model text never does). */
    public static List<String> pieces(String text, int size) {
        List<String> out = new ArrayList<>();
        int[] cps = text.codePoints().toArray();
        for (int i = 0; i < cps.length; i += size) {
            out.add(new String(cps, i, Math.min(size, cps.length - i)));
        }
        return out;
    }

    /** Everything a splitter says for these pieces, its final flush included. */
    public static ThinkSplitter.Split split(ThinkSplitter splitter, List<String> pieces) {
        StringBuilder r = new StringBuilder();
        StringBuilder c = new StringBuilder();
        for (String piece : pieces) {
            ThinkSplitter.Split s = splitter.accept(piece);
            r.append(s.reasoning());
            c.append(s.content());
        }
        ThinkSplitter.Split rest = splitter.finish();
        return new ThinkSplitter.Split(r.append(rest.reasoning()).toString(), c.append(rest.content()).toString());
    }

    /** The ways each case table runs: whole, one character at a time, in 2- and 3-character chunks. */
    public static List<List<String>> allWays(String text) {
        List<List<String>> ways = new ArrayList<>();
        ways.add(List.of(text));
        for (int size : new int[]{1, 2, 3}) {
            ways.add(pieces(text, size));
        }
        return ways;
    }
}
