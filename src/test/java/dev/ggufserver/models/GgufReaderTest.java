package dev.ggufserver.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ggufserver.testmodel.TinyModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufReaderTest {
    @TempDir
    Path dir;

    @Test
    void readsTheMetadataAndTensorDirectory() throws Exception {
        Path file = TinyModel.write(dir);

        GgufFile gguf = GgufReader.read(file);

        assertThat(gguf.version()).isEqualTo(3);
        assertThat(gguf.architecture()).isEqualTo("qwen2");
        assertThat(gguf.archInteger("context_length")).contains(4096L);
        assertThat(gguf.chatTemplate()).contains(TinyModel.officialTemplate());
        assertThat(gguf.quantization()).isEqualTo("F32");
        assertThat(gguf.fileSize()).isEqualTo(Files.size(file));
        List<String> tokens = gguf.list("tokenizer.ggml.tokens", String.class);
        assertThat(tokens).contains(TinyModel.BOS, TinyModel.EOS, "<think>", "</think>");
        assertThat(gguf.list("tokenizer.ggml.token_type", Long.class)).hasSameSizeAs(tokens);
        assertThat(gguf.tensors()).extracting(GgufFile.TensorInfo::name).contains("token_embd.weight", "output.weight");
        long expected = gguf.tensors().stream().mapToLong(GgufFile.TensorInfo::elementCount).sum();
        assertThat(gguf.parameterCount()).isEqualTo(expected).isGreaterThan(100_000);
        assertThat(gguf.dataOffset() % 32).isZero();
    }

    @Test
    void namesTheProblemOfABrokenFile() throws Exception {
        byte[] good = TinyModel.build(TinyModel.officialTemplate());
        record Case(String name, byte[] bytes, String message) {
        }
        byte[] wrongVersion = good.clone();
        wrongVersion[4] = 2;
        byte[] hugeString = good.clone();
        // the first key's length field follows magic, version, tensor count and key count
        ByteBuffer.wrap(hugeString).order(ByteOrder.LITTLE_ENDIAN).putLong(24, Long.MAX_VALUE / 2);
        byte[] hugeCount = good.clone();
        ByteBuffer.wrap(hugeCount).order(ByteOrder.LITTLE_ENDIAN).putLong(16, 1L << 40);
        List<Case> cases = List.of(
                new Case("empty", new byte[0], "too small"),
                new Case("not gguf", "{\"this is\": \"json\"}                       ".getBytes(), "wrong magic"),
                new Case("version 2", wrongVersion, "version 2"),
                new Case("string longer than the file", hugeString, "more than the file holds"),
                new Case("absurd key count", hugeCount, "cannot fit"),
                new Case("truncated header", Arrays.copyOf(good, 5000), "truncated"),
                new Case("zero-filled", new byte[4096], "wrong magic"));
        for (Case c : cases) {
            Path file = dir.resolve(c.name().replace(' ', '-') + ".gguf");
            Files.write(file, c.bytes());
            assertThatThrownBy(() -> GgufReader.read(file)).as(c.name())
                    .isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining(c.message());
        }
        assertThatThrownBy(() -> GgufReader.read(dir)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("directory");
    }

    @Test
    void everyTruncationOfTheHeaderIsCaught() throws Exception {
        byte[] good = TinyModel.build(TinyModel.officialTemplate());
        GgufFile whole = GgufReader.read(TinyModel.write(dir));
        Path file = dir.resolve("cut.gguf");
        for (int length = 0; length < whole.dataOffset(); length += 97) {
            Files.write(file, Arrays.copyOf(good, length));
            int cut = length;
            assertThatThrownBy(() -> GgufReader.read(file)).as("cut at %d", cut)
                    .isInstanceOf(GgufFormatException.class);
        }
    }
}
