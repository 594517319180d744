package dev.ggufserver.models;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the header of a GGUF file says: its key/value metadata and its tensor directory. Tensor data is never read
 * here; the native engine maps it itself.
 *
 * <p>Metadata values are {@code Long} (every integer type), {@code Double} (both float types), {@code Boolean},
 * {@code String} or {@code List} of those.
 */
public record GgufFile(Path path, long fileSize, int version, Map<String, Object> metadata, List<TensorInfo> tensors,
                       long dataOffset) {

    /** One entry of the tensor directory; {@code offset} is relative to the start of the data section. */
    public record TensorInfo(String name, long[] dims, int ggmlType, long offset) {
        /** Product of the dimensions; Long.MAX_VALUE when that overflows (a hostile file, rejected later). */
        public long elementCount() {
            long n = 1;
            try {
                for (long d : dims) {
                    n = Math.multiplyExact(n, d);
                }
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
            return n;
        }
    }

    public Optional<String> string(String key) {
        return metadata.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    public Optional<Long> integer(String key) {
        return metadata.get(key) instanceof Long l ? Optional.of(l) : Optional.empty();
    }

    public Optional<Boolean> bool(String key) {
        return metadata.get(key) instanceof Boolean b ? Optional.of(b) : Optional.empty();
    }

    @SuppressWarnings("unchecked")
    public <T> List<T> list(String key, Class<T> elementType) {
        Object value = metadata.get(key);
        if (value instanceof List<?> list && list.stream().allMatch(elementType::isInstance)) {
            return (List<T>) list;
        }
        return List.of();
    }

    public String architecture() {
        return string("general.architecture").orElse("unknown");
    }

    /** A key of the architecture's own namespace, e.g. {@code archKey("context_length")} → qwen2.context_length. */
    public Optional<Long> archInteger(String suffix) {
        return integer(architecture() + "." + suffix);
    }

    public long parameterCount() {
        long total = 0;
        for (TensorInfo t : tensors) {
            total = Math.min(Long.MAX_VALUE - t.elementCount(), total) + t.elementCount();
        }
        return total;
    }

    /** The text of a special token named by its id key, e.g. {@code tokenizer.ggml.bos_token_id}; "" if none. */
    public String specialTokenText(String idKey) {
        List<String> tokens = list("tokenizer.ggml.tokens", String.class);
        return integer(idKey).filter(id -> id >= 0 && id < tokens.size())
                .map(id -> tokens.get(id.intValue())).orElse("");
    }

    /** Tokens in the vocabulary: every valid token id is below it. */
    public int vocabularySize() {
        return list("tokenizer.ggml.tokens", String.class).size();
    }

    /** Whether llama.cpp puts BOS in front of every prompt (its default: only SentencePiece vocabularies). */
    public boolean addsBosToken() {
        return bool("tokenizer.ggml.add_bos_token")
                .orElse(string("tokenizer.ggml.model").orElse("").equals("llama"));
    }

    /** Encoder architectures of llama.cpp b4916: they only embed. */
    private static final java.util.Set<String> ENCODERS = java.util.Set.of("bert", "nomic-bert", "jina-bert-v2");

    /**
     * Whether this is an embedding model: an encoder architecture, or any model that declares how its token
     * vectors pool into one ({@code <arch>.pooling_type} other than none), as converted decoder embedders do.
     */
    public boolean embeds() {
        return ENCODERS.contains(architecture()) || declaredPooling() > 0;
    }

    /** llama.cpp's pooling type the file declares (1 mean, 2 CLS, 3 last, 4 rank), 0 when none. */
    public long declaredPooling() {
        return archInteger("pooling_type").orElse(0L);
    }

    /** The width of the model's token vectors (for an embedding model, of its embeddings), 0 when missing. */
    public int embeddingLength() {
        return archInteger("embedding_length").filter(n -> n > 0 && n <= Integer.MAX_VALUE).orElse(0L).intValue();
    }

    public Optional<String> chatTemplate() {
        return string("tokenizer.chat_template");
    }

    /** llama.cpp's name for general.file_type (the quantisation of most tensors). */
    public String quantization() {
        return integer("general.file_type").map(ft -> FileTypes.name(ft.intValue())).orElse("unknown");
    }
}
