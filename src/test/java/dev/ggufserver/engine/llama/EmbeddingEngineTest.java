package dev.ggufserver.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.ggufserver.engine.Embedding;
import dev.ggufserver.engine.EmbeddingInput;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.InputTooLongException;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.models.GgufReader;
import dev.ggufserver.support.InProcessEngines;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyBert;
import dev.ggufserver.testmodel.TinyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The native engine in embedding mode, on the tiny BERT: pooling, lengths, and what it refuses. */
class EmbeddingEngineTest {

    private static float[] embed(LlamaEngine engine, String text) throws EngineException {
        return engine.embed(List.of(EmbeddingInput.ofText(text))).get(0).vector();
    }

    private static Path bertWithoutPooling() throws IOException {
        Path file = Files.createTempDirectory("tiny-bert-").resolve("tiny-bert-no-pooling.gguf");
        TinyBert.write(file, false);
        file.toFile().deleteOnExit();
        file.getParent().toFile().deleteOnExit();
        return file;
    }

    @Test
    void aModelThatDeclaresNoPoolingIsPooledAsTheServerSays() throws Exception {
        Path plain = bertWithoutPooling();
        assertThat(GgufReader.read(plain).declaredPooling()).isZero();
        assertThat(GgufReader.read(plain).embeds()).isTrue();
        float[] declared = embed(InProcessEngines.embedding(RealServers.tinyBert(), 64, null), "the cat sat");

        // same weights: mean pooling chosen by the server gives what the file's own mean pooling gives
        float[] mean = embed(InProcessEngines.embedding(plain, 64, "mean"), "the cat sat");
        float[] cls = embed(InProcessEngines.embedding(plain, 64, "cls"), "the cat sat");

        assertThat(mean).containsExactly(declared, within(1e-6f));
        assertThat(cls).isNotEqualTo(mean);
        double norm = 0;
        for (float x : cls) {
            norm += x * x;
        }
        assertThat(Math.sqrt(norm)).isCloseTo(1.0, within(1e-5));
    }

    @Test
    void everyInputIsCheckedAgainstTheContextBeforeAnyIsEmbedded() throws Exception {
        LlamaEngine engine = InProcessEngines.embedding(RealServers.tinyBert(), 16, null);

        assertThatThrownBy(() -> engine.embed(List.of(EmbeddingInput.ofText("hello"),
                EmbeddingInput.ofText("hello ".repeat(15)))))
                .isInstanceOfSatisfying(InputTooLongException.class, e -> {
                    assertThat(e.index()).isEqualTo(1);
                    assertThat(e.tokens()).isEqualTo(17);
                    assertThat(e.limit()).isEqualTo(16);
                });
        List<Embedding> fits = engine.embed(List.of(EmbeddingInput.ofText("hello ".repeat(14))));
        assertThat(fits.get(0).tokens()).isEqualTo(16);
    }

    @Test
    void anEmbeddingModelDoesNotGenerateAndAChatModelDoesNotEmbed() {
        LlamaEngine bert = InProcessEngines.embedding(RealServers.tinyBert(), 64, null);
        LlamaEngine chat = InProcessEngines.tiny(RealServers.tinyModel(), 256);
        GenerationRequest request = new GenerationRequest("hi", 4, Sampling.greedy());

        assertThatThrownBy(() -> bert.start(request)).isInstanceOf(EngineException.class)
                .hasMessageContaining("does not generate");
        assertThatThrownBy(() -> chat.embed(List.of(EmbeddingInput.ofText("hi"))))
                .isInstanceOf(EngineException.class).hasMessageContaining("not loaded as an embedding model");
    }

    @Test
    void specialTokenTextIsSpacedApartInWordPieceAndRefusedElsewhere() throws Exception {
        LlamaEngine bert = InProcessEngines.embedding(RealServers.tinyBert(), 64, null);
        EmbeddingTexts wordPiece = new EmbeddingTexts(bert.vocabulary(),
                new PromptTokenizer(bert.vocabulary(), bert::tokenizeWhole));
        assertThat(wordPiece.textOf(0, EmbeddingInput.ofText("a [SEP] b [CLS][SEP]")))
                .isEqualTo("a [ SEP] b [ CLS][ SEP]");
        assertThat(wordPiece.textOf(0, EmbeddingInput.ofTokens(new int[]{TinyBert.CLS, 5, 6, TinyBert.SEP})))
                .isEqualTo(" hello world");

        LlamaEngine chat = InProcessEngines.tiny(RealServers.tinyModel(), 256);
        EmbeddingTexts bytePairs = new EmbeddingTexts(chat.vocabulary(),
                new PromptTokenizer(chat.vocabulary(), chat::tokenizeWhole));
        assertThatThrownBy(() -> bytePairs.textOf(3, EmbeddingInput.ofText("hi " + TinyModel.EOS)))
                .hasMessageContaining("input 3", TinyModel.EOS);
        assertThat(bytePairs.textOf(0, EmbeddingInput.ofText("hi there"))).isEqualTo("hi there");
    }
}
