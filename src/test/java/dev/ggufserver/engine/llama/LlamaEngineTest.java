package dev.ggufserver.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.GenerationResult;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.models.GgufReader;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pins what LlamaEngine relies on in de.kherud:llama 4.2.0, with the real native library. */
class LlamaEngineTest {
    private static final String CHAT_PROMPT = "<｜User｜>hi<｜Assistant｜><think>\n";
    private static LlamaEngine engine;

    @BeforeAll
    static void load() throws Exception {
        Path model = RealServers.tinyModel();
        ModelInfo info = new ModelInfo("tiny", 256, 2, "qwen2", 0, "F32", 0, 0, true, null);
        engine = LlamaEngine.load(new LlamaEngine.Settings(model, 256, 2, 2, false), info,
                Vocabulary.fromGguf(GgufReader.read(model)));
    }

    private record Piece(String text, int tokens) {
    }

    private static GenerationResult generate(String prompt, int maxTokens, List<Piece> pieces, int stopAfter) {
        try {
            return engine.generate(new GenerationRequest(prompt, engine.countPromptTokens(prompt), maxTokens,
                    Sampling.greedy()), (text, tokens) -> {
                        pieces.add(new Piece(text, tokens));
                        return pieces.size() != stopAfter;
                    });
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void everyTokenIsOnePieceExceptACharacterSplitAcrossTokens() {
        List<Piece> pieces = new ArrayList<>();

        GenerationResult result = generate(CHAT_PROMPT, 100, pieces, -1);

        List<String> expected = new ArrayList<>(TinyModel.THINKING_PIECES);
        expected.add("</think>");
        expected.add("\n\n");
        expected.addAll(TinyModel.ANSWER_PIECES);
        expected.add(" 😊"); // two tokens, one piece
        expected.add(""); // EOS prints nothing
        assertThat(pieces).extracting(Piece::text).containsExactlyElementsOf(expected);
        assertThat(pieces.get(pieces.size() - 2).tokens()).isEqualTo(2);
        assertThat(result.reason()).isEqualTo(FinishReason.STOP);
        assertThat(result.completionTokens()).isEqualTo(TinyModel.CHAT_COMPLETION_TOKENS);
    }

    @Test
    void theTokenLimitEndsWithLengthAndAnExactCount() {
        List<Piece> pieces = new ArrayList<>();

        GenerationResult result = generate(CHAT_PROMPT, 25, pieces, -1);

        // the 25th token is the first half of the emoji: it never makes a piece, but it was generated
        assertThat(result.reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(result.completionTokens()).isEqualTo(25);
        assertThat(pieces.stream().mapToInt(Piece::tokens).sum()).isEqualTo(24);
    }

    @Test
    void stoppingFromTheListenerCancelsAndFreesTheSlot() {
        for (int round = 0; round < 5; round++) { // more rounds than slots: a leaked slot would hang here
            List<Piece> pieces = new ArrayList<>();
            GenerationResult result = generate("<｜User｜>loop<｜Assistant｜><think>\n", 200, pieces, 3);
            assertThat(result.reason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(pieces).hasSize(3);
        }
        List<Piece> pieces = new ArrayList<>();
        assertThat(generate(CHAT_PROMPT, 100, pieces, -1).reason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void promptTokensIncludeTheBosTheEngineAdds() {
        assertThat(engine.countPromptTokens(CHAT_PROMPT)).isEqualTo(6 + 1);
        assertThat(engine.countPromptTokens("")).isEqualTo(1);
        assertThat(engine.countPromptTokens("loop")).isEqualTo(2); // a merged word is one token
    }
}
