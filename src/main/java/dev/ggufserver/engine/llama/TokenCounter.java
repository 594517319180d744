package dev.ggufserver.engine.llama;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Counts the tokens behind one output of the binding. Each token normally gives its own output, but llama.cpp
 * holds back a token that ends inside a UTF-8 character and sends its bytes with the next one, so one output can
 * stand for several tokens. Those tokens are recovered from the vocabulary: the fewest tokens that spell the output
 * where every boundary but the last falls inside a character (where llama.cpp would have held back).
 */
final class TokenCounter {
    private static final int MAX_DECOMPOSED_BYTES = 512;

    private final Set<String> pieces = new HashSet<>(); // bytes as ISO-8859-1 strings: one char per byte
    private final int longestPiece;

    TokenCounter(Vocabulary vocabulary) {
        int longest = 1;
        for (byte[] piece : vocabulary.pieces()) {
            if (piece.length > 0) {
                pieces.add(new String(piece, StandardCharsets.ISO_8859_1));
                longest = Math.max(longest, piece.length);
            }
        }
        this.longestPiece = longest;
    }

    int tokensIn(String text) {
        if (text.isEmpty()) {
            return 1; // EOS or another token that prints nothing
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        String key = new String(bytes, StandardCharsets.ISO_8859_1);
        if (pieces.contains(key) || bytes.length > MAX_DECOMPOSED_BYTES) {
            return 1;
        }
        int n = bytes.length;
        int[] fewest = new int[n + 1];
        Arrays.fill(fewest, Integer.MAX_VALUE);
        fewest[0] = 0;
        for (int start = 0; start < n; start++) {
            if (fewest[start] == Integer.MAX_VALUE || (start > 0 && !isContinuationByte(bytes[start]))) {
                continue;
            }
            for (int end = start + 1; end <= Math.min(n, start + longestPiece); end++) {
                if (fewest[start] + 1 < fewest[end] && pieces.contains(key.substring(start, end))) {
                    fewest[end] = fewest[start] + 1;
                }
            }
        }
        return fewest[n] == Integer.MAX_VALUE ? 1 : fewest[n];
    }

    private static boolean isContinuationByte(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
