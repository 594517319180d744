package dev.ggufserver.engine.llama;

import dev.ggufserver.engine.EmbeddingInput;
import dev.ggufserver.engine.EngineException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The text the binding embeds for each input, and the tokens the model will read for it.
 *
 * <p>de.kherud:llama 4.2.0 embeds a string only, and tokenizes it with special tokens parsed, so two things are
 * done here first:
 * <ul>
 *   <li><b>Special-token text is plain text.</b> A client's {@code "[SEP]"} must not become the separator token.
 *       In a WordPiece vocabulary every punctuation mark is a word of its own, so a space after the opening mark
 *       ({@code "[ SEP]"}) gives exactly the tokens the literal text has, and no special token. Other vocabularies
 *       have no such equivalent text: an input containing one of their special tokens is refused.</li>
 *   <li><b>Token ids become text.</b> The ids' pieces are joined and tokenized again; control tokens print
 *       nothing (the model adds its own CLS/SEP or BOS), and a sequence the tokenizer would not produce itself may
 *       come back as other tokens. The usage counts the tokens actually embedded.</li>
 * </ul>
 */
final class EmbeddingTexts {
    private final Vocabulary vocabulary;
    private final PromptTokenizer tokenizer;

    EmbeddingTexts(Vocabulary vocabulary, PromptTokenizer tokenizer) {
        this.vocabulary = vocabulary;
        this.tokenizer = tokenizer;
    }

    /** What a refused input is told: it holds the text of a special token the binding would parse. */
    static final class SpecialTokenText extends EngineException {
        SpecialTokenText(int index, String special) {
            super("input " + index + " contains '" + special + "', the text of one of this model's special "
                    + "tokens, which its tokenizer would read as that token");
        }
    }

    /** The text to give the binding for input {@code index}. */
    String textOf(int index, EmbeddingInput input) throws SpecialTokenText {
        String text = input.text() != null ? input.text() : detokenize(input.tokens());
        StringBuilder out = null;
        for (String special : vocabulary.specialTokens().keySet()) {
            int at = out == null ? text.indexOf(special) : out.indexOf(special);
            if (at < 0) {
                continue;
            }
            int first = special.codePointAt(0);
            if (!vocabulary.wordPiece() || Character.isLetterOrDigit(first) || Character.isWhitespace(first)) {
                throw new SpecialTokenText(index, special);
            }
            if (out == null) {
                out = new StringBuilder(text);
            }
            int firstLength = Character.charCount(first);
            while (at >= 0) {
                out.insert(at + firstLength, ' ');
                at = out.indexOf(special, at + firstLength + 1);
            }
        }
        return out == null ? text : out.toString();
    }

    /** The tokens the model reads for a text from {@link #textOf}: its own and those llama.cpp adds around it. */
    int tokensOf(String text) {
        return tokenizer.tokenize(text).length + vocabulary.tokensAddedAround();
    }

    private String detokenize(int[] tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(tokens.length * 4);
        for (int id : tokens) {
            bytes.writeBytes(vocabulary.pieces().get(id)); // ids were checked against the vocabulary's size
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
