package dev.ggufserver.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import dev.ggufserver.engine.ContextLengthExceededException;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationListener;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.GenerationResult;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.models.GgufReader;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.lang.reflect.Field;
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
            return engine.generate(new GenerationRequest(prompt, maxTokens, Sampling.greedy()), (text, tokens) -> {
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

    /** The tool script later tests build on: the R1 markers come out as their text, one token each. */
    @Test
    void aChatAboutTheWeatherThinksThenCallsATool() {
        List<Piece> pieces = new ArrayList<>();
        List<Piece> after = new ArrayList<>();

        generate("<｜User｜>what is the forecast for Paris<｜Assistant｜><think>\n", 100, pieces, -1);
        generate("<｜User｜>what is the forecast for Paris<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>"
                + "function<｜tool▁sep｜>get_weather\n```json\n{}\n```<｜tool▁call▁end｜><｜end▁of▁sentence｜>"
                + "<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>sunny<｜tool▁output▁end｜><｜tool▁outputs▁end｜>",
                100, after, -1);

        List<String> expected = new ArrayList<>(TinyModel.THINKING_PIECES);
        expected.add("</think>");
        expected.addAll(TinyModel.TOOL_CALL_PIECES);
        expected.add("");
        assertThat(pieces).extracting(Piece::text).containsExactlyElementsOf(expected);
        assertThat(after).extracting(Piece::text).containsExactlyElementsOf(
                java.util.stream.Stream.concat(TinyModel.TOOL_ANSWER_PIECES.stream(), java.util.stream.Stream.of(""))
                        .toList());
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
    void theListenerLearnsThePromptsTokensOnceBeforeTheFirstPiece() throws Exception {
        List<String> calls = new ArrayList<>();
        engine.generate(new GenerationRequest(CHAT_PROMPT, 3, Sampling.greedy()), new GenerationListener() {
            @Override
            public void onStart(int promptTokens) {
                calls.add("start " + promptTokens);
            }

            @Override
            public boolean onPiece(String text, int tokens) {
                calls.add("piece");
                return true;
            }
        });
        assertThat(calls).containsExactly("start 7", "piece", "piece", "piece");
    }

    /** The pieces llama.cpp generates greedily for {@code prompt} given as text, tokenized by the binding itself. */
    private static List<String> piecesOfTextPrompt(String prompt, int maxTokens) throws Exception {
        Field field = LlamaEngine.class.getDeclaredField("model");
        field.setAccessible(true);
        LlamaModel model = (LlamaModel) field.get(engine);
        LlamaIterator it = model.generate(new InferenceParameters(prompt).setNPredict(maxTokens)
                .setTemperature(0f).setCachePrompt(true)).iterator();
        List<String> pieces = new ArrayList<>();
        while (it.hasNext()) {
            LlamaOutput output = it.next();
            if (it.hasNext()) { // the closing output carries no token
                pieces.add(output.text);
            }
        }
        return pieces;
    }

    @Test
    void aPromptGivenAsTokensKeepsTheBosLlamaCppAdds() throws Exception {
        // the engine hands llama.cpp the ids it counted as ["", ids...]; an empty text is BOS alone, and without BOS
        // llama.cpp would see an empty prompt and generate nothing. BOS has no script of its own in TinyModel, so
        // after it comes the raw completion.
        List<Integer> counted = new ArrayList<>();
        List<String> pieces = new ArrayList<>();
        GenerationResult result = engine.generate(new GenerationRequest("", 4, Sampling.greedy()),
                new GenerationListener() {
                    @Override
                    public void onStart(int promptTokens) {
                        counted.add(promptTokens);
                    }

                    @Override
                    public boolean onPiece(String text, int tokens) {
                        pieces.add(text);
                        return true;
                    }
                });
        assertThat(counted).containsExactly(1); // BOS, once
        assertThat(pieces).containsExactlyElementsOf(TinyModel.COMPLETION_PIECES.subList(0, 4));
        assertThat(result.reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(result.completionTokens()).isEqualTo(4);

        // the same prompts given as text, which llama.cpp tokenizes itself (BOS added, special tokens parsed),
        // generate the same pieces; the count is llama.cpp's own tokens plus exactly one BOS
        for (String prompt : List.of("", CHAT_PROMPT, "hello")) {
            List<Piece> asTokens = new ArrayList<>();
            generate(prompt, 40, asTokens, -1);
            assertThat(asTokens).extracting(Piece::text).as(prompt)
                    .containsExactlyElementsOf(piecesOfTextPrompt(prompt, 40)).isNotEmpty();
            assertThat(engine.countPromptTokens(prompt)).as(prompt).isEqualTo(engine.tokenizeWhole(prompt).length + 1);
        }
    }

    @Test
    void aPromptThatFillsTheContextIsRefusedBeforeAnythingIsGenerated() {
        String fills = "loop".repeat(255); // 255 merged words and BOS: 256 tokens, the whole context
        List<Piece> pieces = new ArrayList<>();
        assertThatThrownBy(() -> engine.generate(new GenerationRequest(fills, 10, Sampling.greedy()),
                (text, tokens) -> pieces.add(new Piece(text, tokens))))
                .isInstanceOfSatisfying(ContextLengthExceededException.class, e -> {
                    assertThat(e.promptTokens()).isEqualTo(256);
                    assertThat(e.contextTokens()).isEqualTo(256);
                });
        assertThat(pieces).isEmpty();

        // one token shorter leaves room for exactly one token, whatever the request asked for
        GenerationResult result = generate("loop".repeat(254), GenerationRequest.UNTIL_CONTEXT_IS_FULL, pieces, -1);
        assertThat(result.reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(result.completionTokens()).isEqualTo(1);
    }

    @Test
    void theExtractedNativeLibraryIsRemovedOnceLoaded() {
        // the binding extracts 5 MB into a directory we make for it; a file left there per start would add up
        assertThat(Path.of(System.getProperty("de.kherud.llama.tmpdir"))).doesNotExist();
    }

    @Test
    void promptTokensIncludeTheBosTheEngineAdds() {
        assertThat(engine.countPromptTokens(CHAT_PROMPT)).isEqualTo(6 + 1);
        assertThat(engine.countPromptTokens("")).isEqualTo(1);
        assertThat(engine.countPromptTokens("loop")).isEqualTo(2); // a merged word is one token
    }
}
