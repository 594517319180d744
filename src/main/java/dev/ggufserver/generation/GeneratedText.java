package dev.ggufserver.generation;

import dev.ggufserver.engine.ContentSpan;
import java.util.ArrayList;
import java.util.List;

/**
 * Text generated since a prompt, as the slot holds it: the model's pieces, each remembered as one, and text the
 * server inserted (the closing of a cut thought). A generation continued from it sends the pieces as
 * {@link dev.ggufserver.engine.GenerationRequest#tokenSpans token spans}, so that the engine sees the very tokens
 * its cache holds and processes only what follows them; re-tokenized text would differ wherever the model wrote a
 * token sequence the tokenizer would not, and everything after that point would be processed again.
 */
final class GeneratedText {
    private final StringBuilder text = new StringBuilder();
    /** {start, end} of each model piece in {@link #text}, in order. */
    private final List<int[]> pieces = new ArrayList<>();

    void appendPiece(String piece) {
        if (!piece.isEmpty()) {
            pieces.add(new int[]{text.length(), text.length() + piece.length()});
        }
        text.append(piece);
    }

    void appendInserted(String inserted) {
        text.append(inserted);
    }

    /** Keeps the first {@code length} characters; a piece cut in two becomes plain text. */
    void truncate(int length) {
        text.setLength(length);
        pieces.removeIf(p -> p[1] > length);
    }

    void clear() {
        truncate(0);
    }

    int length() {
        return text.length();
    }

    boolean isEmpty() {
        return text.isEmpty();
    }

    int indexOf(String s) {
        return text.indexOf(s);
    }

    int indexOf(String s, int from) {
        return text.indexOf(s, from);
    }

    char charAt(int i) {
        return text.charAt(i);
    }

    String substring(int from) {
        return text.substring(from);
    }

    String substring(int from, int to) {
        return text.substring(from, to);
    }

    /** The pieces as token spans of a prompt in which this text begins at {@code offset}. */
    List<ContentSpan> pieceSpans(int offset) {
        List<ContentSpan> spans = new ArrayList<>(pieces.size());
        for (int[] p : pieces) {
            spans.add(new ContentSpan(offset + p[0], offset + p[1]));
        }
        return spans;
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
