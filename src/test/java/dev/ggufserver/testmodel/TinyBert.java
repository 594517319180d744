package dev.ggufserver.testmodel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A tiny BERT embedding GGUF (about 70 KB): one encoder layer of 32 dimensions with seeded random weights, a
 * WordPiece vocabulary that spells any lowercase ASCII word letter by letter (plus a few whole words), and mean
 * pooling, so llama.cpp gives a unit-length vector that depends on every token and its position.
 *
 * <p>The weights mean nothing; what tests can rely on is that the vector is a deterministic function of the tokens:
 * the same input gives the same vector, and different inputs give different ones.
 */
public final class TinyBert {
    public static final int DIMENSIONS = 32;
    /** Tokens of context the model was trained with (its position table): inputs must fit in it. */
    public static final int CONTEXT = 128;
    public static final int PAD = 0;
    public static final int UNK = 1;
    public static final int CLS = 2;
    public static final int SEP = 3;
    public static final int MASK = 4;
    private static final int FFN = 64;
    private static final int HEADS = 2;
    private static final List<String> WORDS = List.of("hello", "world", "cat", "dog", "sat", "on", "the", "mat",
            "embedding", "vector");

    private TinyBert() {
    }

    /** The vocabulary: five special tokens, whole words, then every letter and digit at a word's start or inside. */
    public static List<String> tokens() {
        List<String> tokens = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (String word : WORDS) {
            tokens.add("\u2581" + word);
        }
        String symbols = "abcdefghijklmnopqrstuvwxyz0123456789";
        for (char c : symbols.toCharArray()) {
            tokens.add("\u2581" + c);
        }
        for (char c : symbols.toCharArray()) {
            tokens.add(String.valueOf(c));
        }
        for (char c : ".,!?;:'\"()[]<>-_/#".toCharArray()) { // punctuation is always a word of its own
            tokens.add("\u2581" + c);
        }
        return tokens;
    }

    /** With mean pooling declared, as converted sentence-transformers models declare theirs. */
    public static void write(Path file) throws IOException {
        write(file, true);
    }

    /** @param declaresPooling false for a file without {@code bert.pooling_type} (the engine must choose) */
    public static void write(Path file, boolean declaresPooling) throws IOException {
        List<String> tokens = tokens();
        List<Integer> types = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            types.add(i <= MASK ? 3 : 1); // CONTROL, NORMAL
        }
        Random random = new Random(20261202);
        int vocab = tokens.size();
        GgufWriter writer = new GgufWriter()
                .string("general.architecture", "bert")
                .string("general.name", "tiny-bert")
                .u32("general.file_type", 0)
                .u32("bert.context_length", CONTEXT)
                .u32("bert.embedding_length", DIMENSIONS)
                .u32("bert.feed_forward_length", FFN)
                .u32("bert.block_count", 1)
                .u32("bert.attention.head_count", HEADS)
                .f32("bert.attention.layer_norm_epsilon", 1e-12)
                .bool("bert.attention.causal", false);
        if (declaresPooling) {
            writer.u32("bert.pooling_type", 1); // mean
        }
        writer.string("tokenizer.ggml.model", "bert")
                .strings("tokenizer.ggml.tokens", tokens)
                .i32s("tokenizer.ggml.token_type", types)
                .u32("tokenizer.ggml.token_type_count", 2)
                .u32("tokenizer.ggml.bos_token_id", CLS)
                .u32("tokenizer.ggml.cls_token_id", CLS)
                .u32("tokenizer.ggml.seperator_token_id", SEP) // sic: llama.cpp's key
                .u32("tokenizer.ggml.padding_token_id", PAD)
                .u32("tokenizer.ggml.unknown_token_id", UNK)
                .u32("tokenizer.ggml.mask_token_id", MASK);
        writer.tensor("token_embd.weight", normal(random, DIMENSIONS * vocab, 0.5), DIMENSIONS, vocab)
                .tensor("token_types.weight", normal(random, DIMENSIONS * 2, 0.1), DIMENSIONS, 2)
                .tensor("position_embd.weight", normal(random, DIMENSIONS * CONTEXT, 0.2), DIMENSIONS, CONTEXT)
                .tensor("token_embd_norm.weight", filled(DIMENSIONS, 1), DIMENSIONS)
                .tensor("token_embd_norm.bias", filled(DIMENSIONS, 0), DIMENSIONS);
        String block = "blk.0.";
        for (String projection : List.of("attn_q", "attn_k", "attn_v", "attn_output")) {
            writer.tensor(block + projection + ".weight", normal(random, DIMENSIONS * DIMENSIONS, 0.3),
                    DIMENSIONS, DIMENSIONS);
            writer.tensor(block + projection + ".bias", normal(random, DIMENSIONS, 0.05), DIMENSIONS);
        }
        writer.tensor(block + "attn_output_norm.weight", filled(DIMENSIONS, 1), DIMENSIONS)
                .tensor(block + "attn_output_norm.bias", filled(DIMENSIONS, 0), DIMENSIONS)
                .tensor(block + "ffn_up.weight", normal(random, DIMENSIONS * FFN, 0.3), DIMENSIONS, FFN)
                .tensor(block + "ffn_up.bias", normal(random, FFN, 0.05), FFN)
                .tensor(block + "ffn_down.weight", normal(random, FFN * DIMENSIONS, 0.3), FFN, DIMENSIONS)
                .tensor(block + "ffn_down.bias", normal(random, DIMENSIONS, 0.05), DIMENSIONS)
                .tensor(block + "layer_output_norm.weight", filled(DIMENSIONS, 1), DIMENSIONS)
                .tensor(block + "layer_output_norm.bias", filled(DIMENSIONS, 0), DIMENSIONS);
        writer.write(file);
    }

    private static float[] normal(Random random, int n, double scale) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        return values;
    }

    private static float[] filled(int n, float value) {
        float[] values = new float[n];
        java.util.Arrays.fill(values, value);
        return values;
    }
}
