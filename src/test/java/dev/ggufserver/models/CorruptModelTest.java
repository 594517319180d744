package dev.ggufserver.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.engine.llama.LlamaEngine;
import dev.ggufserver.engine.llama.Vocabulary;
import dev.ggufserver.testmodel.GgufWriter;
import dev.ggufserver.testmodel.TinyModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of broken file is caught by our reader and validator with a message naming the file and the problem,
 * never by llama.cpp; and the same JVM then loads a valid model, proving nothing crashed on the way.
 */
class CorruptModelTest {
    private static final byte[] GOOD = TinyModel.build(TinyModel.officialTemplate());

    @TempDir
    Path dir;

    private static byte[] withLong(byte[] bytes, int offset, long value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(offset, value);
        return copy;
    }

    private static byte[] withInt(byte[] bytes, int offset, int value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
        return copy;
    }

    private static byte[] smallModel(String arch, boolean tokenizer) {
        GgufWriter w = new GgufWriter().string("general.architecture", arch)
                .u32(arch + ".block_count", 1).u32(arch + ".embedding_length", 8);
        if (tokenizer) {
            w.string("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", List.of("a", "b"))
                    .strings("tokenizer.ggml.merges", List.of());
        }
        return w.tensor("token_embd.weight", new float[16], 8, 2).toBytes();
    }

    /** name → (bytes, expected words in the message). */
    private Map<String, Object[]> table() throws Exception {
        GgufFile good = GgufReader.read(TinyModel.write(dir));
        int firstKeyLength = 24;
        Map<String, Object[]> cases = new LinkedHashMap<>();
        cases.put("empty", new Object[]{new byte[0], "too small"});
        cases.put("zero-filled", new Object[]{new byte[1 << 16], "wrong magic"});
        cases.put("an html page", new Object[]{"<!doctype html><html><body>Login</body></html>".getBytes(),
                "wrong magic"});
        cases.put("GGUF version 1", new Object[]{withInt(GOOD, 4, 1), "version 1"});
        cases.put("GGUF version 2", new Object[]{withInt(GOOD, 4, 2), "version 2"});
        cases.put("absurd tensor count", new Object[]{withLong(GOOD, 8, Long.MAX_VALUE), "tensor count"});
        cases.put("absurd key count", new Object[]{withLong(GOOD, 16, 1L << 40), "key/value count"});
        cases.put("negative key count", new Object[]{withLong(GOOD, 16, -5), "key/value count"});
        cases.put("huge string length", new Object[]{withLong(GOOD, firstKeyLength, 1L << 50),
                "more than the file holds"});
        cases.put("unknown value type", new Object[]{withInt(GOOD, firstKeyLength + 8 + 20, 77),
                "unknown value type"});
        cases.put("one tensor too many", new Object[]{withLong(GOOD, 8, good.tensors().size() + 1), ""});
        cases.put("tensor data cut short", new Object[]{Arrays.copyOf(GOOD, GOOD.length - 1), "past the end"});
        cases.put("unknown architecture", new Object[]{smallModel("alien9000", true), "not supported"});
        cases.put("no tokenizer", new Object[]{smallModel("llama", false), "tokenizer"});
        for (int percent = 1; percent < 100; percent += 7) {
            int length = (int) ((long) GOOD.length * percent / 100);
            cases.put("truncated at " + percent + "%", new Object[]{Arrays.copyOf(GOOD, length), ""});
        }
        return cases;
    }

    @Test
    void brokenFilesAreRejectedClearlyAndAValidModelStillLoadsAfterwards() throws Exception {
        for (Map.Entry<String, Object[]> c : table().entrySet()) {
            Path file = dir.resolve(c.getKey().replaceAll("\\W+", "-") + ".gguf");
            Files.write(file, (byte[]) c.getValue()[0]);
            assertThatThrownBy(() -> ModelValidator.validate(GgufReader.read(file))).as(c.getKey())
                    .isInstanceOf(GgufFormatException.class)
                    .hasMessageStartingWith(file.toString())
                    .hasMessageContaining((String) c.getValue()[1]);
        }
        assertThatThrownBy(() -> GgufReader.read(dir)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("directory");

        // the same JVM now loads a valid model into the native engine and generates
        Path valid = TinyModel.write(dir);
        GgufFile gguf = ModelValidator.validate(GgufReader.read(valid));
        LlamaEngine engine = LlamaEngine.load(new LlamaEngine.Settings(valid, 128, 1, 2, false),
                new ModelInfo("tiny", 128, 1, "qwen2", 0, "F32", 0, 0, true, null), Vocabulary.fromGguf(gguf));
        StringBuilder text = new StringBuilder();
        String prompt = "<｜User｜>hi<｜Assistant｜><think>\n";
        engine.generate(new GenerationRequest(prompt, 50, Sampling.greedy()),
                (piece, tokens) -> text.append(piece) != null);
        assertThat(text.toString()).endsWith(TinyModel.ANSWER);
    }

    private static GgufFile fileWith(List<GgufFile.TensorInfo> tensors, long fileSize) {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", "llama");
        meta.put("llama.block_count", 1L);
        meta.put("llama.embedding_length", 64L);
        meta.put("tokenizer.ggml.model", "llama");
        meta.put("tokenizer.ggml.tokens", List.of("a"));
        return new GgufFile(Path.of("test.gguf"), fileSize, 3, meta, tensors, 1024);
    }

    @Test
    void tensorsMustHaveKnownTypesWholeBlocksAlignmentAndNoOverlap() {
        long size = 1024 + 1_000_000;
        record Case(String name, List<GgufFile.TensorInfo> tensors, String message) {
        }
        List<Case> cases = new ArrayList<>(List.of(
                new Case("unknown type", List.of(new GgufFile.TensorInfo("a", new long[]{64}, 99, 0)), "unknown type"),
                new Case("partial block", List.of(new GgufFile.TensorInfo("a", new long[]{40, 2}, 2, 0)),
                        "multiple of Q4_0's block of 32"),
                new Case("misaligned", List.of(new GgufFile.TensorInfo("a", new long[]{64}, 0, 3)), "aligned"),
                new Case("past the end", List.of(new GgufFile.TensorInfo("a", new long[]{1_000_000}, 0, 0)),
                        "past the end"),
                new Case("overflowing", List.of(new GgufFile.TensorInfo("a",
                        new long[]{1L << 40, 1L << 40, 1L << 40}, 0, 0)), "impossibly large"),
                new Case("overlap", List.of(new GgufFile.TensorInfo("a", new long[]{64}, 0, 0),
                        new GgufFile.TensorInfo("b", new long[]{64}, 0, 128)), "overlap"),
                new Case("no tensors", List.of(), "no tensors")));
        for (Case c : cases) {
            assertThatThrownBy(() -> ModelValidator.validate(fileWith(c.tensors(), size))).as(c.name())
                    .isInstanceOf(GgufFormatException.class).hasMessageContaining(c.message());
        }
        assertThat(fileWith(List.of(new GgufFile.TensorInfo("a", new long[]{64, 2}, 2, 0),
                new GgufFile.TensorInfo("b", new long[]{256}, 12, 96)), size)).isNotNull();
    }
}
