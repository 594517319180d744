package dev.ggufserver.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.models.GgufReader;
import dev.ggufserver.support.InProcessEngines;
import dev.ggufserver.support.RealServers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Our split at special tokens plus remembered pieces must give exactly llama.cpp's tokens. */
class PromptTokenizerTest {

    @Test
    void givesLlamaCppsTokensForChatsAndAwkwardText() throws Exception {
        Path model = RealServers.tinyModel();
        Vocabulary vocabulary = Vocabulary.fromGguf(GgufReader.read(model));
        LlamaEngine engine = InProcessEngines.tiny(model, 256);
        PromptTokenizer tokenizer = new PromptTokenizer(vocabulary, engine::tokenizeWhole);
        assertThat(vocabulary.bytePairs()).isTrue();
        assertThat(vocabulary.specialTokens()).containsKeys("<｜User｜>", "<｜Assistant｜>", "<think>", "</think>");

        List<String> parts = new ArrayList<>(vocabulary.specialTokens().keySet());
        parts.addAll(List.of("hi", "loop", "hello there", " world", " 😊", "\n", "\n\n", "  ", " ", "é", "数学",
                "<｜User", "｜>", "<think", "</", "<", ">", "｜", "'s", "123", "x<think>y", "<｜<｜User｜>"));
        Random random = new Random(20261123);
        for (int round = 0; round < 400; round++) {
            StringBuilder text = new StringBuilder();
            for (int n = random.nextInt(12); n >= 0; n--) {
                text.append(parts.get(random.nextInt(parts.size())));
            }
            String prompt = text.toString();
            assertThat(tokenizer.tokenize(prompt)).as("tokens of [%s]", prompt)
                    .containsExactly(engine.tokenizeWhole(prompt));
            assertThat(tokenizer.tokenize(prompt)).as("again, from what it remembers: [%s]", prompt)
                    .containsExactly(engine.tokenizeWhole(prompt));
        }
    }

    @Test
    void asksForEachPieceOfTextOnce() {
        List<String> asked = new ArrayList<>();
        PromptTokenizer tokenizer = new PromptTokenizer(vocabulary(Map.of("<u>", 100, "<a>", 101), true), text -> {
            asked.add(text);
            return text.chars().toArray();
        });

        tokenizer.tokenize("<u>hi<a>fine");
        tokenizer.tokenize("<u>hi<a>fine<u>more<a>");

        assertThat(asked).containsExactly("hi", "fine", "more");
        assertThat(tokenizer.tokenize("<u>hi<a>")).containsExactly(100, 'h', 'i', 101);
    }

    @Test
    void longerSpecialTokensAreMatchedFirstAsLlamaCppDoes() {
        // llama.cpp takes "abcd" everywhere before it looks for "xab": a left-to-right scan would take "xab"
        PromptTokenizer tokenizer = new PromptTokenizer(vocabulary(Map.of("abcd", 1, "xab", 2), true),
                text -> text.chars().toArray());

        assertThat(tokenizer.tokenize("xabcd")).containsExactly('x', 1);
        assertThat(tokenizer.tokenize("xabxab")).containsExactly(2, 2);
        assertThat(tokenizer.tokenize("abcdabcd")).containsExactly(1, 1);
    }

    @Test
    void otherVocabulariesAreTokenizedWhole() {
        List<String> asked = new ArrayList<>();
        PromptTokenizer tokenizer = new PromptTokenizer(vocabulary(Map.of("<u>", 100), false), text -> {
            asked.add(text);
            return new int[]{7};
        });

        assertThat(tokenizer.tokenize("<u>hi")).containsExactly(7);
        assertThat(asked).containsExactly("<u>hi");
    }

    /**
     * A continued prompt: each piece the model generated is the token that prints it (two newline tokens stay two,
     * though the text tokenizes as one blank-line token; a special token the model wrote stays that token), a piece
     * that is no single token is content, and the text around the pieces is tokenized as usual.
     */
    @Test
    void generatedPiecesAreTheirOwnTokensAndTheRestIsTokenizedAsUsual() {
        List<byte[]> pieces = List.of(bytes("a"), bytes("b"), bytes("ab"), bytes("\n"), bytes("\n\n"), bytes(""));
        Vocabulary vocabulary = new Vocabulary(pieces, true, Map.of("<t>", 5), true);
        PromptTokenizer tokenizer = new PromptTokenizer(vocabulary, text -> text.equals("\n\n") ? new int[]{4}
                : text.chars().toArray());
        String prompt = "xy" + "a" + "b" + "\n" + "\n" + "<t>" + "q<t>" + "zz";
        List<dev.ggufserver.engine.ContentSpan> generated = List.of(span(2, 3), span(3, 4), span(4, 5), span(5, 6),
                span(6, 9), span(9, 13));

        assertThat(tokenizer.tokenize(prompt, List.of(), generated))
                .containsExactly('x', 'y', 0, 1, 3, 3, 5, 'q', '<', 't', '>', 'z', 'z');
        assertThat(tokenizer.tokenize("\n\n", List.of(), List.of())).containsExactly(4); // as text: one token
    }

    /**
     * The scripted model's tokens cannot be spelled from text (its vocabulary has almost no merges): re-tokenized,
     * its own "Okay" would be four byte tokens and two newlines one blank-line token, and a continued prompt would
     * leave the slot's cache there. As generated pieces they are the tokens it wrote.
     */
    @Test
    void onTheRealVocabularyGeneratedPiecesAreTheTokensTheModelWrote() throws Exception {
        Path model = RealServers.tinyModel();
        Vocabulary vocabulary = Vocabulary.fromGguf(GgufReader.read(model));
        LlamaEngine engine = InProcessEngines.tiny(model, 256);
        PromptTokenizer tokenizer = new PromptTokenizer(vocabulary, engine::tokenizeWhole);
        String prefix = "<｜User｜>hi<｜Assistant｜><think>\n";
        String prompt = prefix + "Okay" + "\n" + "\n" + "</think>";
        int start = prefix.length();
        List<dev.ggufserver.engine.ContentSpan> generated = List.of(span(start, start + 4), span(start + 4, start + 5),
                span(start + 5, start + 6), span(start + 6, prompt.length()));

        int[] asGenerated = tokenizer.tokenize(prompt, List.of(), generated);

        int okay = -1;
        for (int id = 0; id < vocabulary.pieces().size(); id++) {
            if (new String(vocabulary.pieces().get(id), java.nio.charset.StandardCharsets.UTF_8).equals("Okay")) {
                okay = id;
            }
        }
        int newline = engine.tokenizeWhole("\n")[0];
        int[] expected = java.util.stream.IntStream.concat(java.util.Arrays.stream(engine.tokenizeWhole(prefix)),
                java.util.stream.IntStream.of(okay, newline, newline, vocabulary.specialTokens().get("</think>")))
                .toArray();
        assertThat(okay).isPositive();
        assertThat(asGenerated).containsExactly(expected);
        assertThat(engine.tokenizeWhole(prompt)).as("the same text, re-tokenized").isNotEqualTo(expected);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static dev.ggufserver.engine.ContentSpan span(int start, int end) {
        return new dev.ggufserver.engine.ContentSpan(start, end);
    }

    private static Vocabulary vocabulary(Map<String, Integer> specials, boolean bytePairs) {
        return new Vocabulary(List.of(), true, specials, bytePairs);
    }
}
