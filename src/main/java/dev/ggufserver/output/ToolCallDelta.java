package dev.ggufserver.output;

/**
 * A piece of a tool call, as OpenAI streams it: the first piece of call {@code index} has its {@code id} and
 * {@code name} and empty {@code arguments}; later pieces have only {@code index} and more argument text (id and
 * name null).
 */
public record ToolCallDelta(int index, String id, String name, String arguments) {
    public static ToolCallDelta start(int index, String id, String name) {
        return new ToolCallDelta(index, id, name, "");
    }

    public static ToolCallDelta arguments(int index, String piece) {
        return new ToolCallDelta(index, null, null, piece);
    }

    public boolean isStart() {
        return id != null;
    }
}
