package dev.ggufserver.output;

import dev.ggufserver.reasoning.ThinkSplitter;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a chat answer's raw text into message deltas, one piece at a time: the think splitter separates the thought
 * from the answer, and a tool-call parser finds calls in the answer (never in the thought).
 */
public final class OutputParser {
    private final ThinkSplitter splitter;
    private final ToolCallParser toolCalls;

    public OutputParser(ThinkSplitter splitter, ToolCallParser toolCalls) {
        this.splitter = splitter;
        this.toolCalls = toolCalls;
    }

    public MessageDelta accept(String text) {
        return parse(splitter.accept(text), false);
    }

    public MessageDelta finish() {
        return parse(splitter.finish(), true);
    }

    /** Calls started so far. */
    public int toolCalls() {
        return toolCalls.calls();
    }

    private MessageDelta parse(ThinkSplitter.Split split, boolean last) {
        MessageDelta answer = split.content().isEmpty() ? MessageDelta.EMPTY : toolCalls.accept(split.content());
        if (last) {
            MessageDelta rest = toolCalls.finish();
            List<ToolCallDelta> calls = new ArrayList<>(answer.toolCalls());
            calls.addAll(rest.toolCalls());
            answer = new MessageDelta("", answer.content() + rest.content(), calls);
        }
        return new MessageDelta(split.reasoning(), answer.content(), answer.toolCalls());
    }
}
