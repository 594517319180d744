package dev.ggufserver.output;

import java.util.ArrayList;
import java.util.List;

/** Folds streamed tool-call pieces into whole calls, as a client accumulating a stream would. */
public final class ToolCallFolder {
    private final List<String[]> calls = new ArrayList<>(); // id, name
    private final List<StringBuilder> arguments = new ArrayList<>();

    public void add(List<ToolCallDelta> deltas) {
        for (ToolCallDelta d : deltas) {
            if (d.isStart()) {
                if (d.index() != calls.size()) {
                    throw new IllegalStateException("tool call " + d.index() + " started out of order");
                }
                calls.add(new String[] {d.id(), d.name()});
                arguments.add(new StringBuilder());
            }
            arguments.get(d.index()).append(d.arguments());
        }
    }

    public List<ToolCall> calls() {
        List<ToolCall> result = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            result.add(new ToolCall(calls.get(i)[0], calls.get(i)[1], arguments.get(i).toString()));
        }
        return result;
    }
}
