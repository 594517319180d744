package dev.ggufserver.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.models.GgufReader;
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
        LlamaEngine engine = LlamaEngine.load(new LlamaEngine.Settings(model, 256, 1, 2, false),
                new ModelInfo("tiny", 256, 1, "qwen2", 0, "F32", 0, 0, true, null), vocabulary);
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

    private static Vocabulary vocabulary(Map<String, Integer> specials, boolean bytePairs) {
        return new Vocabulary(List.of(), true, specials, bytePairs);
    }
}
