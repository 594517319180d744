package dev.ggufserver.generation;

import java.util.List;

/**
 * Applies stop strings to streamed text: text that could be the start of a stop string is held back until the next
 * piece decides, so no part of a stop string ever reaches the client, however the pieces split it.
 */
public final class StopFilter {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    public StopFilter(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** True once a stop string has matched; later text is discarded. */
    public boolean stopped() {
        return stopped;
    }

    /** Feeds a piece and returns the text that is now safe to emit. */
    public String accept(String text) {
        if (stopped) {
            return "";
        }
        if (stops.isEmpty()) {
            return text;
        }
        held.append(text);
        int earliest = -1;
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0 && (earliest < 0 || at < earliest)) {
                earliest = at;
            }
        }
        if (earliest >= 0) {
            stopped = true;
            String out = held.substring(0, earliest);
            held.setLength(0);
            return out;
        }
        int keep = 0;
        for (String stop : stops) {
            keep = Math.max(keep, partialMatchAtEnd(held, stop));
        }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** Releases held text when generation ends without completing a stop string. */
    public String finish() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of {@code stop}. */
    private static int partialMatchAtEnd(CharSequence text, String stop) {
        for (int n = Math.min(stop.length() - 1, text.length()); n > 0; n--) {
            if (stop.regionMatches(0, text.toString(), text.length() - n, n)) {
                return n;
            }
        }
        return 0;
    }
}
