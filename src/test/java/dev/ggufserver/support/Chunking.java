package dev.ggufserver.support;

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
