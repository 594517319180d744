package dev.ggufserver.engine.llama;

import dev.ggufserver.models.ByteLevel;
import dev.ggufserver.models.GgufFile;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The bytes each token of the model's vocabulary prints as (what llama.cpp's token_to_piece gives without special
 * tokens), read from the GGUF metadata by our own reader.
 *
 * @param pieces        bytes per token id; control tokens print nothing
 * @param addsBos       whether the engine puts BOS in front of every prompt
 * @param specialTokens the tokens llama.cpp matches in prompt text before tokenizing the rest (unknown, control
 *                      and user-defined types): text → id
 * @param bytePairs     a byte-level BPE vocabulary ("gpt2" in GGUF), whose text between special tokens is
 *                      tokenized piece by piece, independently
 * @param wordPiece     a WordPiece vocabulary ("bert" in GGUF): llama.cpp puts CLS before and SEP after every
 *                      text it tokenizes with special tokens, whatever the add_bos/add_eos flags say
 * @param addsEos       whether the engine puts EOS after a text tokenized with special tokens (embeddings)
 */
public record Vocabulary(List<byte[]> pieces, boolean addsBos, Map<String, Integer> specialTokens,
                         boolean bytePairs, boolean wordPiece, boolean addsEos) {
    private static final int NORMAL = 1;
    private static final int UNKNOWN = 2;
    private static final int CONTROL = 3;
    private static final int USER_DEFINED = 4;
    private static final int BYTE = 6;

    public Vocabulary {
        specialTokens = Map.copyOf(specialTokens);
    }

    /** A vocabulary that is not WordPiece and adds no EOS: what every generating model here has. */
    public Vocabulary(List<byte[]> pieces, boolean addsBos, Map<String, Integer> specialTokens, boolean bytePairs) {
        this(pieces, addsBos, specialTokens, bytePairs, false, false);
    }

    /** Tokens llama.cpp adds around a text it tokenizes with special tokens, as it does an embedding's input. */
    public int tokensAddedAround() {
        return wordPiece ? 2 : (addsBos ? 1 : 0) + (addsEos ? 1 : 0);
    }

    public static Vocabulary fromGguf(GgufFile gguf) {
        List<String> tokens = gguf.list("tokenizer.ggml.tokens", String.class);
        List<Long> types = gguf.list("tokenizer.ggml.token_type", Long.class);
        String model = gguf.string("tokenizer.ggml.model").orElse("");
        boolean byteLevel = model.equals("gpt2");
        List<byte[]> pieces = new ArrayList<>(tokens.size());
        Map<String, Integer> specials = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            int type = i < types.size() ? types.get(i).intValue() : NORMAL;
            pieces.add(piece(tokens.get(i), type, byteLevel));
            if ((type == UNKNOWN || type == CONTROL || type == USER_DEFINED) && !tokens.get(i).isEmpty()) {
                specials.putIfAbsent(tokens.get(i), i);
            }
        }
        return new Vocabulary(pieces, gguf.addsBosToken(), specials, byteLevel, model.equals("bert"),
                gguf.bool("tokenizer.ggml.add_eos_token").orElse(model.equals("t5")));
    }

    private static byte[] piece(String token, int type, boolean byteLevel) {
        if (type == USER_DEFINED) {
            return token.getBytes(StandardCharsets.UTF_8);
        }
        if (type == BYTE && token.length() == 6 && token.startsWith("<0x")) { // SentencePiece byte token
            return new byte[]{(byte) Integer.parseInt(token.substring(3, 5), 16)};
        }
        if (type != NORMAL) {
            return new byte[0];
        }
        if (byteLevel) {
            byte[] bytes = ByteLevel.decode(token);
            return bytes != null ? bytes : token.getBytes(StandardCharsets.UTF_8);
        }
        return token.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8); // SentencePiece word boundary
    }
}
