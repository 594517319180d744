package dev.ggufserver.testmodel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A random-weight GGUF with the exact shape of DeepSeek-R1-Distill-Qwen-1.5B (qwen2, 28 layers, 1536 wide, 12/2
 * heads, FFN 8960, vocabulary 151,936) in Q4_0, about 1 GB: what the benchmark measures speed on when the real
 * model cannot be downloaded. Its output is nonsense; its cost per token is the real model's.
 *
 * <p>Run: {@code java -cp target/test-classes:target/gguf-server.jar dev.ggufserver.testmodel.ShapedModel OUT.gguf}
 */
public final class ShapedModel {
    private static final int VOCAB = 151_936;
    private static final int EMBED = 1536;
    private static final int LAYERS = 28;
    private static final int HEADS = 12;
    private static final int KV_HEADS = 2;
    private static final int KV = EMBED / HEADS * KV_HEADS;
    private static final int FFN = 8960;
    private static final int F32 = 0;
    private static final int Q4_0 = 2;

    private ShapedModel() {
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "r1-1.5b-shape-q4_0.gguf");
        write(out);
        System.out.println("wrote " + out);
    }

    private static GgufWriter.TensorSpec q4(String name, long cols, long rows) {
        return new GgufWriter.TensorSpec(name, Q4_0, cols / 32 * 18 * rows, cols, rows);
    }

    private static GgufWriter.TensorSpec f32(String name, long n) {
        return new GgufWriter.TensorSpec(name, F32, 4 * n, n);
    }

    public static void write(Path out) throws IOException {
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(dev.ggufserver.models.ByteLevel.encode(new byte[]{(byte) b}));
            types.add(1);
        }
        List<String> specials = List.of(TinyModel.BOS, TinyModel.EOS, "<｜User｜>", "<｜Assistant｜>");
        while (tokens.size() < VOCAB - specials.size() - 2) {
            tokens.add("tok" + tokens.size());
            types.add(1);
        }
        tokens.add("<think>");
        types.add(4);
        tokens.add("</think>");
        types.add(4);
        for (String s : specials) {
            tokens.add(s);
            types.add(3);
        }
        int bos = tokens.indexOf(TinyModel.BOS);
        int eos = tokens.indexOf(TinyModel.EOS);

        GgufWriter meta = new GgufWriter()
                .string("general.architecture", "qwen2")
                .string("general.name", "random weights in the shape of DeepSeek-R1-Distill-Qwen-1.5B")
                .u32("general.file_type", 2)
                .u32("qwen2.context_length", 131_072)
                .u32("qwen2.embedding_length", EMBED)
                .u32("qwen2.block_count", LAYERS)
                .u32("qwen2.feed_forward_length", FFN)
                .u32("qwen2.attention.head_count", HEADS)
                .u32("qwen2.attention.head_count_kv", KV_HEADS)
                .f32("qwen2.rope.freq_base", 10_000)
                .f32("qwen2.attention.layer_norm_rms_epsilon", 1e-6)
                .string("tokenizer.ggml.model", "gpt2")
                .string("tokenizer.ggml.pre", "qwen2")
                .strings("tokenizer.ggml.tokens", tokens)
                .i32s("tokenizer.ggml.token_type", types)
                .strings("tokenizer.ggml.merges", List.of())
                .u32("tokenizer.ggml.bos_token_id", bos)
                .u32("tokenizer.ggml.eos_token_id", eos)
                .bool("tokenizer.ggml.add_bos_token", true)
                .string("tokenizer.chat_template", TinyModel.officialTemplate());

        List<GgufWriter.TensorSpec> specs = new ArrayList<>();
        specs.add(q4("token_embd.weight", EMBED, VOCAB));
        specs.add(f32("output_norm.weight", EMBED));
        specs.add(q4("output.weight", EMBED, VOCAB));
        for (int l = 0; l < LAYERS; l++) {
            String p = "blk." + l + ".";
            specs.add(f32(p + "attn_norm.weight", EMBED));
            specs.add(q4(p + "attn_q.weight", EMBED, EMBED));
            specs.add(f32(p + "attn_q.bias", EMBED));
            specs.add(q4(p + "attn_k.weight", EMBED, KV));
            specs.add(f32(p + "attn_k.bias", KV));
            specs.add(q4(p + "attn_v.weight", EMBED, KV));
            specs.add(f32(p + "attn_v.bias", KV));
            specs.add(q4(p + "attn_output.weight", EMBED, EMBED));
            specs.add(f32(p + "ffn_norm.weight", EMBED));
            specs.add(q4(p + "ffn_gate.weight", EMBED, FFN));
            specs.add(q4(p + "ffn_up.weight", EMBED, FFN));
            specs.add(q4(p + "ffn_down.weight", FFN, EMBED));
        }
        SplittableRandom random = new SplittableRandom(1);
        try (FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.write(ByteBuffer.wrap(meta.header(specs)));
            ByteBuffer block = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (GgufWriter.TensorSpec t : specs) {
                long left = t.bytes();
                boolean norm = t.name().endsWith("norm.weight");
                while (left > 0) {
                    block.clear();
                    int n = (int) Math.min(block.capacity() / 144 * 144, left); // whole Q4_0 blocks per write
                    for (int i = 0; i < n; i += (t.ggmlType() == Q4_0 ? 18 : 4)) {
                        if (t.ggmlType() == Q4_0) {
                            block.putShort((short) 0x1A8D); // scale ≈ 0.0025 (f16): small, tame activations
                            for (int q = 0; q < 16; q++) {
                                block.put((byte) random.nextInt(256));
                            }
                        } else {
                            block.putFloat(norm ? 1f : 0f);
                        }
                    }
                    block.flip();
                    while (block.hasRemaining()) {
                        channel.write(block);
                    }
                    left -= n;
                }
                channel.write(ByteBuffer.allocate(GgufWriter.padding(t.bytes())));
            }
        }
    }
}
