package dev.ggufserver.output;

/** Small text helpers shared by the tool-call parsers. */
final class Markers {
    private Markers() {
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of one of {@code markers}. */
    static int partialSuffix(CharSequence text, String... markers) {
        int best = 0;
        for (String marker : markers) {
            int max = Math.min(marker.length() - 1, text.length());
            for (int n = max; n > best; n--) {
                if (regionMatches(text, text.length() - n, marker, n)) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }

    /** Whether {@code text} could still become {@code marker} (it is a prefix of it, or starts with it). */
    static boolean couldBe(CharSequence text, String marker) {
        int n = Math.min(text.length(), marker.length());
        return regionMatches(text, 0, marker, n);
    }

    private static boolean regionMatches(CharSequence text, int from, String marker, int n) {
        for (int j = 0; j < n; j++) {
            if (text.charAt(from + j) != marker.charAt(j)) {
                return false;
            }
        }
        return true;
    }

    static int skipSpace(CharSequence text, int from) {
        int i = from;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Names as OpenAI allows them for functions. */
    static boolean validName(String name) {
        return name.matches("[a-zA-Z0-9_-]{1,64}");
    }
}
