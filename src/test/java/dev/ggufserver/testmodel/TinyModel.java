package dev.ggufserver.testmodel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.ggufserver.models.ByteLevel;

/**
 * A tiny qwen2 GGUF (under 1 MB) whose greedy output follows a script, so tests can assert exact text through the
 * real native engine.
 *
 * <p>How it works (see also docs/ARCHITECTURE.md, "Testing"): every token that matters has its own one-hot
 * embedding dimension. The feed-forward output is zero, so the residual stream carries the embedding straight to the
 * output head, and the head row of token {@code next(t)} points at {@code t}'s dimension: greedy decoding is a
 * bigram machine. One attention layer adds prompt-wide "trigger words": a head whose key fires only on the trigger's
 * token attends to it from every later position and writes a flag dimension, and flagged branches beat the plain
 * successor (1.25 K against K) while never beating a plain successor elsewhere (0.75 K against K).
 *
 * <p>Scripts:
 * <ul>
 *   <li>any chat prompt (it ends with {@code <think>\n}): {@link #THINKING}, {@code </think>}, {@link #ANSWER}, EOS;</li>
 *   <li>a chat mentioning {@code loop}: the thought {@link #LOOP_CYCLE} repeated forever;</li>
 *   <li>a chat mentioning {@code dice}: {@code Rolling:} then uniformly random {@code " 1"}..{@code " 6"} forever
 *       (sampling with a seed is reproducible, different seeds differ);</li>
 *   <li>a chat mentioning {@code markdown}: a short thought, then {@link #MARKDOWN_ANSWER};</li>
 *   <li>a chat mentioning {@code forecast}: the thought, then a DeepSeek-R1 tool call ({@link #TOOL_CALL_PIECES});
 *       a prompt ending with a tool's output: {@link #TOOL_ANSWER};</li>
 *   <li>a raw completion prompt ending in an ordinary token: {@link #COMPLETION}, EOS.</li>
 * </ul>
 */
public final class TinyModel {
    public static final String BOS = "<｜begin▁of▁sentence｜>";
    public static final String EOS = "<｜end▁of▁sentence｜>";

    public static final List<String> THINKING_PIECES = List.of("Okay", ",", " the", " user", " said", " hi", ".",
            " They", " want", " a", " friendly", " greeting", ".\n");
    /** The reasoning the chat script produces (trailing newline stripped by the server). */
    public static final String THINKING = "Okay, the user said hi. They want a friendly greeting.";
    public static final List<String> ANSWER_PIECES = List.of("Hello", "!", " How", " can", " I", " help", " you",
            " today", "?");
    /** The emoji ends the answer and is split across two tokens in the middle of its UTF-8 bytes. */
    public static final String ANSWER = "Hello! How can I help you today? 😊";
    /** Tokens generated for the whole chat answer: thinking, {@code </think>}, "\n\n", answer (emoji = 2), EOS. */
    public static final int CHAT_COMPLETION_TOKENS = 13 + 1 + 1 + 9 + 2 + 1;
    /** Of those, the thinking tokens including {@code </think>}. */
    public static final int CHAT_REASONING_TOKENS = 13 + 1;

    public static final List<String> LOOP_CYCLE = List.of("Round", " and", " round", " it", " goes", ". ");
    public static final List<String> COMPLETION_PIECES = List.of(" world", " of", " tiny", " models", " 你好", "世界",
            " 👋");
    public static final String COMPLETION = String.join("", COMPLETION_PIECES);
    public static final int COMPLETION_TOKENS = COMPLETION_PIECES.size() + 1; // + EOS

    /** After the thought, a chat mentioning {@code forecast} calls get_weather in DeepSeek-R1's syntax, then EOS. */
    public static final List<String> TOOL_CALL_PIECES = List.of("<｜tool▁calls▁begin｜>", "<｜tool▁call▁begin｜>",
            "function", "<｜tool▁sep｜>", "get_weather", "\n```json\n", "{\"city\": ", "\"Paris\"}", "\n```",
            "<｜tool▁call▁end｜>", "<｜tool▁calls▁end｜>");
    public static final String TOOL_CALL_NAME = "get_weather";
    public static final String TOOL_CALL_ARGUMENTS = "{\"city\": \"Paris\"}";
    /**
     * The Hermes variant's weather script: two calls, their markers split across tokens as a model without
     * marker tokens writes them. The first opening marker ends on the byte token {@code >}, which is also where the
     * text {@code <tool_call>} tokenizes to end, so a prompt continued after it ends on the same token (the script
     * is a bigram machine).
     */
    public static final List<String> HERMES_CALL_PIECES = List.of("<tool", "_call", ">", "\n{\"name\": \"get_weather\", ",
            "\"arguments\": {\"city\": \"Paris\"}}", "\n</tool_", "call>", "\n<tool_call>",
            "\n{\"name\": \"get_time\", \"arguments\": ", "{\"zone\": \"CET\"}}\n", "</tool_call>");

    /**
     * The Llama 3 JSON variant's call: a bare object as the whole answer. Its opening {@code {} is a byte token, so
     * the prompt continued after it ends on the same token.
     */
    public static final List<String> LLAMA3_CALL_PIECES = List.of("{", "\"name\": \"get_weather\", \"parameters\": ",
            "{\"city\": \"Paris\"}}");
    /** The Mistral variant's call; its opening marker ends on the byte token {@code ]}. */
    public static final List<String> MISTRAL_CALL_PIECES = List.of("[TOOL_CALLS", "]",
            "[{\"name\": \"get_weather\", \"arguments\": ", "{\"city\": \"Paris\"}}]");

    /** What follows a tool's output (the R1 template ends such a prompt with {@code <｜tool▁outputs▁end｜>}). */
    public static final List<String> TOOL_ANSWER_PIECES = List.of("It's", " sunny", " in Paris.");
    public static final String TOOL_ANSWER = String.join("", TOOL_ANSWER_PIECES);

    public static final List<String> MARKDOWN_THINKING = List.of("Formatting", " as markdown", ".\n");
    public static final List<String> MARKDOWN_PIECES = List.of("## Plan\n\n", "- **bold** item\n",
            "- `code` item\n\n", "| a | b |\n|---|---|\n| 1 | 2 |\n\n", "```python\nprint('hi')\n```\n\n",
            "<script>window.__injected = true</script>",
            "<img src=x onerror=\"window.__injected = true\">");
    public static final String MARKDOWN_ANSWER = String.join("", MARKDOWN_PIECES);

    private static final int EMBED = 128;
    private static final int HEADS = 4;
    private static final int HEAD_DIM = EMBED / HEADS;
    private static final int FFN = 64;
    private static final float K = 10f;
    /** Attention logit of a trigger position: QK_SCALE^2 / sqrt(HEAD_DIM) ≈ 45. */
    private static final float QK_SCALE = 16f;
    /** The lowest-frequency rotary pair of a head (NEOX layout): rotations there are negligible. */
    private static final int QK_DIM = HEAD_DIM / 2 - 1;
    private static final int V_DIM = 0;

    private final List<String> tokens = new ArrayList<>();
    private final List<Integer> types = new ArrayList<>();
    private final List<String> merges = new ArrayList<>();
    private final Map<String, Integer> idByText = new HashMap<>();
    /** Explicit successors: from → (to → weight in units of K). */
    private final Map<Integer, Map<Integer, Float>> head = new LinkedHashMap<>();
    private final Map<Integer, Integer> dimOf = new HashMap<>();
    private final List<List<Integer>> triggerTokens = new ArrayList<>();
    private final Map<Integer, Map<Integer, Float>> flagWeights = new LinkedHashMap<>(); // to → (flag → weight)
    private int nextDim = 0;
    private final int defaultDim;

    /** The syntax the weather script writes its tool calls in. */
    public enum ToolSyntax {
        DEEPSEEK_R1(TOOL_CALL_PIECES), HERMES(HERMES_CALL_PIECES), LLAMA3_JSON(LLAMA3_CALL_PIECES),
        MISTRAL(MISTRAL_CALL_PIECES);

        /** The weather script's answer, token by token. */
        public final List<String> callPieces;

        ToolSyntax(List<String> callPieces) {
            this.callPieces = callPieces;
        }
    }

    private final ToolSyntax toolSyntax;

    private TinyModel(ToolSyntax toolSyntax) {
        this.toolSyntax = toolSyntax;
        for (int b = 0; b < 256; b++) {
            add(ByteLevel.encode(new byte[]{(byte) b}), 1);
        }
        defaultDim = nextDim++;
    }

    /** Writes the model with the official DeepSeek-R1 template into {@code dir} and returns its path. */
    public static Path write(Path dir) {
        return write(dir, "tiny-r1.gguf", officialTemplate());
    }

    public static Path write(Path dir, String fileName, String chatTemplate) {
        try {
            Path file = dir.resolve(fileName);
            Files.write(file, build(chatTemplate));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String officialTemplate() {
        try (var in = TinyModel.class.getResourceAsStream("/templates/deepseek-r1-distill.jinja")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("test resource templates/deepseek-r1-distill.jinja is missing", e);
        }
    }

    public static byte[] build(String chatTemplate) {
        return build(chatTemplate, ToolSyntax.DEEPSEEK_R1);
    }

    /** The model whose weather script calls tools in {@code syntax} ({@link #HERMES_CALL_PIECES} for Hermes). */
    public static byte[] build(String chatTemplate, ToolSyntax syntax) {
        return new TinyModel(syntax).script().toGguf(chatTemplate);
    }

    public static Path write(Path dir, String fileName, String chatTemplate, ToolSyntax syntax) {
        try {
            Path file = dir.resolve(fileName);
            Files.write(file, build(chatTemplate, syntax));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TinyModel script() {
        int bos = add(BOS, 3);
        int eos = add(EOS, 3);
        int user = add("<｜User｜>", 3);
        int assistant = add("<｜Assistant｜>", 3);
        // the tool markers are user-defined tokens, as in DeepSeek-R1's own GGUF: llama.cpp writes out their text
        for (String s : List.of("<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>",
                "<｜tool▁call▁end｜>", "<｜tool▁sep｜>", "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>",
                "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>")) {
            add(s, 4);
        }
        add("<｜▁pad▁｜>", 3);
        int think = add("<think>", 4);
        int endThink = add("</think>", 4);
        int newline = byteToken('\n');

        // chat: the prompt ends with "<think>\n"; templates without the prefill make the model write it itself
        follow(assistant, think);
        follow(think, newline);
        int lastThought = chain(newline, THINKING_PIECES);
        follow(lastThought, endThink);
        int paragraph = normal("\n\n");
        // as in Qwen's tokenizer, a blank line is one token: a prompt that ends with "</think>\n\n" ends on it
        String newlineByte = ByteLevel.encode(new byte[]{'\n'});
        merges.add(newlineByte + " " + newlineByte);
        follow(endThink, paragraph);
        int last = chain(paragraph, ANSWER_PIECES);
        int emojiStart = normal(new byte[]{' ', (byte) 0xF0, (byte) 0x9F});
        int emojiEnd = normal(new byte[]{(byte) 0x98, (byte) 0x8A});
        follow(last, emojiStart);
        follow(emojiStart, emojiEnd);
        follow(emojiEnd, eos);

        // raw completions: anything without a script of its own continues with COMPLETION
        int first = normal(COMPLETION_PIECES.get(0));
        head.computeIfAbsent(-1, k -> new LinkedHashMap<>()).put(first, 1f); // -1 = the default dimension
        follow(chain(first, COMPLETION_PIECES.subList(1, COMPLETION_PIECES.size())), eos);

        int loopFlag = trigger("loop");
        int round = normal(LOOP_CYCLE.get(0));
        follow(chain(round, LOOP_CYCLE.subList(1, LOOP_CYCLE.size())), round);
        branch(newline, loopFlag, round);
        triggerTokens.get(loopFlag).forEach(t -> follow(t, round));

        int diceFlag = trigger("dice");
        int rolling = normal("Rolling:");
        List<Integer> faces = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            faces.add(normal(" " + i));
        }
        for (int face : faces) {
            follow(rolling, face);
            for (int other : faces) {
                follow(face, other);
            }
        }
        branch(newline, diceFlag, rolling);
        triggerTokens.get(diceFlag).forEach(t -> follow(t, rolling));

        int markdownFlag = trigger("markdown");
        int formatting = normal(MARKDOWN_THINKING.get(0));
        int asMarkdown = normal(MARKDOWN_THINKING.get(1));
        follow(formatting, asMarkdown);
        follow(asMarkdown, lastThought); // ".\n", then "</think>" as in the chat script
        branch(newline, markdownFlag, formatting);
        int heading = normal(MARKDOWN_PIECES.get(0));
        branch(endThink, markdownFlag, heading);
        follow(chain(heading, MARKDOWN_PIECES.subList(1, MARKDOWN_PIECES.size())), eos);
        triggerTokens.get(markdownFlag).forEach(t -> follow(t, formatting));

        // a chat mentioning "forecast": the thought, then a DeepSeek-R1 tool call; after a tool's output, an answer
        int weatherFlag = trigger("forecast");
        List<String> callPieces = toolSyntax.callPieces;
        Integer special = idByText.get(callPieces.get(0));
        int callsBegin = special != null ? special : normal(callPieces.get(0));
        branch(endThink, weatherFlag, callsBegin);
        int previous = callsBegin;
        for (String piece : callPieces.subList(1, callPieces.size())) {
            Integer marker = idByText.get(piece);
            int id = marker != null && types.get(marker) == 4 ? marker : normal(piece);
            follow(previous, id);
            previous = id;
        }
        follow(previous, eos);
        int outputsEnd = idByText.get("<｜tool▁outputs▁end｜>");
        int afterTool = normal(TOOL_ANSWER_PIECES.get(0));
        follow(outputsEnd, afterTool);
        follow(chain(afterTool, TOOL_ANSWER_PIECES.subList(1, TOOL_ANSWER_PIECES.size())), eos);

        this.bosId = bos;
        this.eosId = eos;
        this.userId = user;
        return this;
    }

    private int bosId;
    private int eosId;
    @SuppressWarnings("unused")
    private int userId;

    // --- vocabulary

    private int add(String text, int type) {
        if (idByText.containsKey(text)) {
            throw new IllegalStateException("duplicate token text " + text);
        }
        int id = tokens.size();
        tokens.add(text);
        types.add(type);
        idByText.put(text, id);
        return id;
    }

    private int byteToken(int b) {
        return b; // ids 0..255 are the byte tokens
    }

    /** The normal token for these UTF-8 bytes; single bytes are the byte tokens themselves. */
    private int normal(byte[] bytes) {
        String text = ByteLevel.encode(bytes);
        Integer existing = idByText.get(text);
        if (existing != null) {
            if (bytes.length > 1) {
                throw new IllegalStateException("script token used twice: " + new String(bytes, StandardCharsets.UTF_8));
            }
            return existing;
        }
        return add(text, 1);
    }

    private int normal(String text) {
        return normal(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds merges so that {@code word} and {@code " word"} each tokenize to one token; returns the flag index. */
    private int trigger(String word) {
        String piece = String.valueOf(word.charAt(0));
        for (int i = 1; i < word.length(); i++) {
            String next = piece + word.charAt(i);
            merges.add(piece + " " + word.charAt(i));
            if (!idByText.containsKey(next)) {
                add(next, 1);
            }
            piece = next;
        }
        String spaced = ByteLevel.encode(new byte[]{' '}) + word;
        merges.add(ByteLevel.encode(new byte[]{' '}) + " " + word);
        add(spaced, 1);
        triggerTokens.add(List.of(idByText.get(word), idByText.get(spaced)));
        return triggerTokens.size() - 1;
    }

    // --- script

    private void follow(int from, int to) {
        head.computeIfAbsent(from, k -> new LinkedHashMap<>()).merge(to, 1f, Float::sum);
    }

    /** When flag {@code flag} is set, {@code from} continues with {@code to} instead of its plain successor. */
    private void branch(int from, int flag, int to) {
        head.computeIfAbsent(from, k -> new LinkedHashMap<>()).merge(to, 0.5f, Float::sum);
        flagWeights.computeIfAbsent(to, k -> new LinkedHashMap<>()).merge(flag, 0.75f, Float::sum);
    }

    private int chain(int from, List<String> pieces) {
        int previous = from;
        for (String piece : pieces) {
            int id = normal(piece);
            follow(previous, id);
            previous = id;
        }
        return previous;
    }

    private int dim(int token) {
        return dimOf.computeIfAbsent(token, t -> nextDim++);
    }

    // --- weights

    private byte[] toGguf(String chatTemplate) {
        int vocab = tokens.size();
        // dimensions: one per scripted or trigger token, then one flag per trigger
        head.keySet().forEach(t -> {
            if (t >= 0) {
                dim(t);
            }
        });
        triggerTokens.forEach(list -> list.forEach(this::dim));
        int firstFlag = nextDim;
        if (firstFlag + triggerTokens.size() > EMBED || triggerTokens.size() > HEADS) {
            throw new IllegalStateException("script needs " + (firstFlag + triggerTokens.size()) + " dimensions");
        }
        float[] embeddings = new float[vocab * EMBED];
        for (int t = 0; t < vocab; t++) {
            embeddings[t * EMBED + dimOf.getOrDefault(t, defaultDim)] = 1f;
        }
        float[] output = new float[vocab * EMBED];
        head.forEach((from, successors) -> {
            int d = from < 0 ? defaultDim : dimOf.get(from);
            successors.forEach((to, weight) -> output[to * EMBED + d] += weight * K);
        });
        flagWeights.forEach((to, flags) -> flags.forEach((flag, weight) ->
                output[to * EMBED + firstFlag + flag] += weight * K));

        float norm = (float) Math.sqrt(EMBED); // attn_norm turns a one-hot 1 into sqrt(EMBED)
        float[] wq = new float[EMBED * EMBED];
        float[] bq = new float[EMBED];
        float[] wk = new float[EMBED * EMBED];
        float[] wv = new float[EMBED * EMBED];
        float[] wo = new float[EMBED * EMBED];
        for (int flag = 0; flag < triggerTokens.size(); flag++) {
            int qk = flag * HEAD_DIM + QK_DIM;
            int v = flag * HEAD_DIM + V_DIM;
            bq[qk] = QK_SCALE;
            for (int trig : triggerTokens.get(flag)) {
                wk[qk * EMBED + dimOf.get(trig)] = QK_SCALE / norm;
                wv[v * EMBED + dimOf.get(trig)] = 1f / norm;
            }
            wo[(firstFlag + flag) * EMBED + v] = 1f;
        }
        float[] ones = new float[EMBED];
        java.util.Arrays.fill(ones, 1f);

        return new GgufWriter()
                .string("general.architecture", "qwen2")
                .string("general.name", "tiny-r1-scripted")
                .u32("general.file_type", 0)
                .u32("qwen2.context_length", 4096)
                .u32("qwen2.embedding_length", EMBED)
                .u32("qwen2.block_count", 1)
                .u32("qwen2.feed_forward_length", FFN)
                .u32("qwen2.attention.head_count", HEADS)
                .u32("qwen2.attention.head_count_kv", HEADS)
                .f32("qwen2.rope.freq_base", 1e9)
                .f32("qwen2.attention.layer_norm_rms_epsilon", 1e-6)
                .string("tokenizer.ggml.model", "gpt2")
                .string("tokenizer.ggml.pre", "qwen2")
                .strings("tokenizer.ggml.tokens", tokens)
                .i32s("tokenizer.ggml.token_type", types)
                .strings("tokenizer.ggml.merges", merges)
                .u32("tokenizer.ggml.bos_token_id", bosId)
                .u32("tokenizer.ggml.eos_token_id", eosId)
                .u32("tokenizer.ggml.padding_token_id", eosId)
                .bool("tokenizer.ggml.add_bos_token", true)
                .bool("tokenizer.ggml.add_eos_token", false)
                .string("tokenizer.chat_template", chatTemplate)
                .tensor("token_embd.weight", embeddings, EMBED, vocab)
                .tensor("output_norm.weight", ones, EMBED)
                .tensor("output.weight", output, EMBED, vocab)
                .tensor("blk.0.attn_norm.weight", ones, EMBED)
                .tensor("blk.0.attn_q.weight", wq, EMBED, EMBED)
                .tensor("blk.0.attn_q.bias", bq, EMBED)
                .tensor("blk.0.attn_k.weight", wk, EMBED, EMBED)
                .tensor("blk.0.attn_k.bias", new float[EMBED], EMBED)
                .tensor("blk.0.attn_v.weight", wv, EMBED, EMBED)
                .tensor("blk.0.attn_v.bias", new float[EMBED], EMBED)
                .tensor("blk.0.attn_output.weight", wo, EMBED, EMBED)
                .tensor("blk.0.ffn_norm.weight", ones, EMBED)
                .tensor("blk.0.ffn_gate.weight", new float[EMBED * FFN], EMBED, FFN)
                .tensor("blk.0.ffn_up.weight", new float[EMBED * FFN], EMBED, FFN)
                .tensor("blk.0.ffn_down.weight", new float[FFN * EMBED], FFN, EMBED)
                .toBytes();
    }
}
