package dev.ggufserver.output;

/**
 * Finds where a JSON value ends in text that arrives in pieces, by counting brackets outside strings; the scan
 * resumes where the last piece stopped. Used for arguments that stream as they come, and for whole call objects.
 */
final class JsonScan {
    private int depth;
    private boolean inString;
    private boolean escaped;
    /** Where the next {@link #end} call resumes in the caller's text. */
    private int position;

    /** Starts a scan; {@code depth} 1 means the scan is already inside an object (it ends at that object's end). */
    void reset(int depth) {
        this.depth = depth;
        inString = false;
        escaped = false;
        position = 0;
    }

    /** The caller dropped {@code n} chars from the front of the text it scans. */
    void consumed(int n) {
        position = Math.max(0, position - n);
    }

    /**
     * The index just past the value (an object, an array or a string; at the starting depth, the closing bracket
     * that ends it), or -1 when the value goes on beyond {@code text}.
     */
    int end(CharSequence text) {
        for (int i = position; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                    if (depth == 0) {
                        position = i + 1;
                        return i + 1;
                    }
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                if (depth <= 0) {
                    position = i + 1;
                    return i + 1;
                }
            }
        }
        position = text.length();
        return -1;
    }
}
