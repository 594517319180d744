package dev.ggufserver.models;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The checks a GGUF file must pass before any native code sees it, beyond the header's own bounds (which
 * {@link GgufReader} checks while reading): every tensor of a known type, with whole blocks, aligned, inside the
 * file and not overlapping another; an architecture llama.cpp b4916 knows, with its required hyperparameters; a
 * tokenizer.
 */
public final class ModelValidator {
    /** Architectures llama.cpp b4916 can load (LLM_ARCH_NAMES). */
    static final Set<String> ARCHITECTURES = Set.of("llama", "deci", "falcon", "grok", "gpt2", "gptj", "gptneox",
            "mpt", "baichuan", "starcoder", "refact", "bert", "nomic-bert", "jina-bert-v2", "bloom", "stablelm",
            "qwen", "qwen2", "qwen2moe", "qwen2vl", "phi2", "phi3", "phimoe", "plamo", "codeshell", "orion",
            "internlm2", "minicpm", "minicpm3", "gemma", "gemma2", "gemma3", "starcoder2", "mamba", "xverse",
            "command-r", "cohere2", "dbrx", "olmo", "olmo2", "olmoe", "openelm", "arctic", "deepseek", "deepseek2",
            "chatglm", "bitnet", "t5", "t5encoder", "jais", "nemotron", "exaone", "rwkv6", "rwkv6qwen2", "rwkv7",
            "arwkv7", "granite", "granitemoe", "chameleon", "wavtokenizer-dec");
    private static final Set<String> TOKENIZERS = Set.of("llama", "gpt2", "bert", "t5", "rwkv", "no_vocab");

    private ModelValidator() {
    }

    /** Returns the file unchanged, or throws naming the file and the first problem found. */
    public static GgufFile validate(GgufFile gguf) throws GgufFormatException {
        String arch = gguf.string("general.architecture")
                .orElseThrow(() -> new GgufFormatException(gguf.path(), "general.architecture is missing"));
        if (!ARCHITECTURES.contains(arch)) {
            throw new GgufFormatException(gguf.path(), "architecture '" + arch
                    + "' is not supported by the bundled llama.cpp (b4916)");
        }
        for (String key : List.of("block_count", "embedding_length")) {
            if (gguf.archInteger(key).filter(v -> v > 0).isEmpty()) {
                throw new GgufFormatException(gguf.path(), arch + "." + key + " is missing or not positive");
            }
        }
        String tokenizer = gguf.string("tokenizer.ggml.model")
                .orElseThrow(() -> new GgufFormatException(gguf.path(), "it has no tokenizer (tokenizer.ggml.model)"));
        if (!TOKENIZERS.contains(tokenizer)) {
            throw new GgufFormatException(gguf.path(), "tokenizer '" + tokenizer + "' is not supported");
        }
        if (!tokenizer.equals("no_vocab") && gguf.list("tokenizer.ggml.tokens", String.class).isEmpty()) {
            throw new GgufFormatException(gguf.path(), "it has no tokenizer vocabulary (tokenizer.ggml.tokens)");
        }
        if (tokenizer.equals("gpt2") && !gguf.metadata().containsKey("tokenizer.ggml.merges")) {
            throw new GgufFormatException(gguf.path(), "its BPE tokenizer has no merges (tokenizer.ggml.merges)");
        }
        checkTensors(gguf);
        return gguf;
    }

    private static void checkTensors(GgufFile gguf) throws GgufFormatException {
        if (gguf.tensors().isEmpty()) {
            throw new GgufFormatException(gguf.path(), "it has no tensors");
        }
        long alignment = gguf.metadata().get("general.alignment") instanceof Long a ? a : 32;
        long dataBytes = gguf.fileSize() - gguf.dataOffset();
        record Span(String name, long start, long end) {
        }
        List<Span> spans = new ArrayList<>();
        for (GgufFile.TensorInfo t : gguf.tensors()) {
            GgmlTypes.Layout layout = GgmlTypes.layout(t.ggmlType());
            if (layout == null) {
                throw new GgufFormatException(gguf.path(), "tensor '" + t.name() + "' has unknown type "
                        + Integer.toUnsignedString(t.ggmlType()));
            }
            if (t.dims()[0] % layout.blockElements() != 0) {
                throw new GgufFormatException(gguf.path(), "tensor '" + t.name() + "' has " + t.dims()[0]
                        + " elements per row, not a multiple of " + layout.name() + "'s block of "
                        + layout.blockElements());
            }
            long bytes;
            try {
                bytes = Math.multiplyExact(t.elementCount() / layout.blockElements(), layout.blockBytes());
            } catch (ArithmeticException e) {
                throw new GgufFormatException(gguf.path(), "tensor '" + t.name() + "' is impossibly large");
            }
            if (t.offset() % alignment != 0) {
                throw new GgufFormatException(gguf.path(), "tensor '" + t.name() + "' is not aligned to "
                        + alignment + " bytes");
            }
            if (bytes > dataBytes || t.offset() > dataBytes - bytes) {
                throw new GgufFormatException(gguf.path(), "tensor '" + t.name() + "' ends past the end of the file "
                        + "(truncated download?)");
            }
            spans.add(new Span(t.name(), t.offset(), t.offset() + bytes));
        }
        spans.sort(Comparator.comparingLong(Span::start));
        for (int i = 1; i < spans.size(); i++) {
            if (spans.get(i).start() < spans.get(i - 1).end()) {
                throw new GgufFormatException(gguf.path(), "tensors '" + spans.get(i - 1).name() + "' and '"
                        + spans.get(i).name() + "' overlap");
            }
        }
    }
}
