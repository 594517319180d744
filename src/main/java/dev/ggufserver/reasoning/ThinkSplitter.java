package dev.ggufserver.reasoning;

/**
 * Splits a model's streamed text into reasoning (inside {@code <think>…</think>}) and content, one piece at a time.
 *
 * <p>Pure and single-threaded. Text that might be the start of a tag, and whitespace that might turn out to be the
 * end of the thought, are held back until the next piece decides; {@link #finish()} releases what is left.
 * Reasoning loses its leading and trailing whitespace and content its leading whitespace, so that
 * {@code "<think>\nA\n</think>\n\nB"} becomes reasoning {@code "A"} and content {@code "B"} however it is chunked.
 *
 * <p>DeepSeek-R1's official template ends the prompt with {@code <think>\n}: then the output starts inside the
 * thought and only contains {@code </think>} ({@link #insideThought()}). Older templates make the model write
 * {@code <think>} itself ({@link #expectingOpenTag()}): an opening tag at the very start (after whitespace) enters
 * the thought, anything else is content.
 */
public final class ThinkSplitter {
    public static final String OPEN = "<think>";
    public static final String CLOSE = "</think>";

    private enum State { START, THINKING, ANSWER, PASSTHROUGH }

    private State state;
    /** Text received but not yet emitted: a possible tag prefix or whitespace whose role is not decided yet. */
    private final StringBuilder held = new StringBuilder();
    private boolean reasoningStarted;
    private boolean contentStarted;

    private ThinkSplitter(State initial) {
        this.state = initial;
    }

    public static ThinkSplitter insideThought() {
        return new ThinkSplitter(State.THINKING);
    }

    public static ThinkSplitter expectingOpenTag() {
        return new ThinkSplitter(State.START);
    }

    /** No splitting: everything is content, byte for byte (reasoning_format "none"). */
    public static ThinkSplitter passthrough() {
        return new ThinkSplitter(State.PASSTHROUGH);
    }

    /** Already in the answer: the prompt closed the thought (no thinking). */
    public static ThinkSplitter answering() {
        return new ThinkSplitter(State.ANSWER);
    }

    /**
     * The splitter for a rendered prompt: inside the thought when the prompt itself opened it, in the answer when
     * the prompt ends with a closed thought.
     */
    public static ThinkSplitter forPrompt(String renderedPrompt) {
        String trimmed = renderedPrompt.stripTrailing();
        return trimmed.endsWith(OPEN) ? insideThought() : trimmed.endsWith(CLOSE) ? answering() : expectingOpenTag();
    }

    /**
     * The prompt with an empty, closed thought where the answer begins, so that the model answers at once: after
     * an opened thought ({@code <think>\n} becomes {@code <think>\n\n</think>\n\n}), or added where the model
     * would open one itself; a prompt that already ends with a closed thought (a template that reads
     * {@code enable_thinking}) stays as it is.
     */
    public static String withoutThinking(String renderedPrompt) {
        String trimmed = renderedPrompt.stripTrailing();
        if (trimmed.endsWith(CLOSE)) {
            return renderedPrompt;
        }
        String empty = "\n\n" + CLOSE + "\n\n";
        return trimmed.endsWith(OPEN) ? trimmed + empty : renderedPrompt + OPEN + empty;
    }

    /** True between the opening of the thought and its close tag. */
    public boolean isInsideThought() {
        return state == State.THINKING;
    }

    /** True once the answer has begun: after the thought's close tag, or at once when the text opens no thought. */
    public boolean isInAnswer() {
        return state == State.ANSWER;
    }

    /** Feeds one piece of generated text and returns what can be emitted now. */
    public Split accept(String text) {
        if (state == State.PASSTHROUGH) {
            return new Split("", text);
        }
        held.append(text);
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        boolean progress = true;
        while (progress && !held.isEmpty()) {
            progress = switch (state) {
                case START -> start(content);
                case THINKING -> thinking(reasoning);
                case ANSWER -> answer(content);
                case PASSTHROUGH -> throw new IllegalStateException();
            };
        }
        return new Split(reasoning.toString(), content.toString());
    }

    /** Releases held text at the end of generation: an unclosed thought stays reasoning. */
    public Split finish() {
        String rest = held.toString();
        held.setLength(0);
        return switch (state) {
            case THINKING -> {
                String r = reasoningStarted ? rest.stripTrailing() : rest.strip();
                yield new Split(r, "");
            }
            case START, ANSWER -> new Split("", contentStarted ? rest : rest.stripLeading());
            case PASSTHROUGH -> new Split("", rest);
        };
    }

    private boolean start(StringBuilder content) {
        int i = 0;
        while (i < held.length() && Character.isWhitespace(held.charAt(i))) {
            i++;
        }
        String rest = held.substring(i);
        if (rest.startsWith(OPEN)) {
            held.delete(0, i + OPEN.length());
            state = State.THINKING;
            return true;
        }
        if (OPEN.startsWith(rest)) {
            return false; // "<thi": wait for more
        }
        state = State.ANSWER;
        return true;
    }

    private boolean thinking(StringBuilder reasoning) {
        int close = held.indexOf(CLOSE);
        if (close >= 0) {
            String thought = held.substring(0, close);
            held.delete(0, close + CLOSE.length());
            emitReasoning(reasoning, thought.stripTrailing());
            state = State.ANSWER;
            return true;
        }
        // keep back a possible start of "</think>" and trailing whitespace (it may precede the close tag)
        int keep = partialTagLength(held, CLOSE);
        int end = held.length() - keep;
        while (end > 0 && Character.isWhitespace(held.charAt(end - 1))) {
            end--;
        }
        if (end > 0) {
            emitReasoning(reasoning, held.substring(0, end));
            held.delete(0, end);
        }
        return false;
    }

    private boolean answer(StringBuilder content) {
        if (!contentStarted) {
            int i = 0;
            while (i < held.length() && Character.isWhitespace(held.charAt(i))) {
                i++;
            }
            held.delete(0, i);
            if (held.isEmpty()) {
                return false;
            }
            contentStarted = true;
        }
        content.append(held);
        held.setLength(0);
        return false;
    }

    private void emitReasoning(StringBuilder reasoning, String text) {
        if (!reasoningStarted) {
            text = text.stripLeading();
            if (text.isEmpty()) {
                return;
            }
            reasoningStarted = true;
        }
        reasoning.append(text);
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of {@code tag}. */
    static int partialTagLength(CharSequence text, String tag) {
        int max = Math.min(tag.length() - 1, text.length());
        for (int n = max; n > 0; n--) {
            boolean match = true;
            for (int j = 0; j < n && match; j++) {
                match = text.charAt(text.length() - n + j) == tag.charAt(j);
            }
            if (match) {
                return n;
            }
        }
        return 0;
    }

    /** What one call may emit; either part may be empty. */
    public record Split(String reasoning, String content) {
        public boolean isEmpty() {
            return reasoning.isEmpty() && content.isEmpty();
        }
    }
}
