package dev.ggufserver.reasoning;

/**
 * How many tokens one request may think, and the text that ends a thought cut at that count (the model then
 * answers, continuing after it).
 *
 * @param tokens  thinking tokens allowed, as {@code reasoning_tokens} counts them; {@link #UNLIMITED} for no limit
 * @param closing what closes a cut thought: an optional message, then the close tag on a line of its own
 */
public record ThinkingBudget(int tokens, String closing) {
    public static final int UNLIMITED = -1;
    public static final ThinkingBudget NONE = new ThinkingBudget(UNLIMITED, closingWith(""));

    public ThinkingBudget {
        if (tokens < UNLIMITED) {
            throw new IllegalArgumentException("a thinking budget is at least 0 tokens, or unlimited");
        }
        if (!closing.endsWith(ThinkSplitter.CLOSE)) {
            throw new IllegalArgumentException("a thought's closing text ends with " + ThinkSplitter.CLOSE);
        }
    }

    public boolean limited() {
        return tokens != UNLIMITED;
    }

    /** {@code message} (may be empty) and the close tag, each after a line break, as a thought would end. */
    public static String closingWith(String message) {
        String m = message.strip();
        return (m.isEmpty() ? "" : "\n\n" + m) + "\n" + ThinkSplitter.CLOSE;
    }
}
