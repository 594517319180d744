package dev.ggufserver.grammar;

/** A GBNF grammar that {@link Gbnf#check} refuses; the message names the line and column (both from 1). */
public final class GrammarSyntaxException extends RuntimeException {
    private final int line;
    private final int column;

    public GrammarSyntaxException(int line, int column, String message) {
        super("grammar line " + line + ", column " + column + ": " + message);
        this.line = line;
        this.column = column;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}
