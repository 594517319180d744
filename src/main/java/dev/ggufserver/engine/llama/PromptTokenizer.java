package dev.ggufserver.engine.llama;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Tokenizes prompts exactly as llama.cpp does, remembering the text between special tokens, so that a chat's
 * earlier messages are not tokenized again on every turn.
 *
 * <p>llama.cpp b4916 first splits a prompt at every special token (longest first, leftmost, see
 * {@code tokenizer_st_partition}), then tokenizes each piece of text between them on its own; for a Qwen2 vocabulary
 * that costs about 0.65 ms per piece whatever its length (its pre-tokenizer regex is compiled per call), 28 ms for
 * a 20-turn conversation. This class makes the same split, asks llama.cpp for each piece it has not seen (with
 * special tokens still parsed, so a special token llama.cpp knows and the GGUF types do not is handled inside the
 * piece as llama.cpp would) and joins the results. The split is only made for byte-level BPE vocabularies, whose
 * pieces are tokenized independently; other vocabularies are tokenized whole.
 */
final class PromptTokenizer {
    /** Cached text, counted in characters: a few long conversations. */
    static final long MAX_CACHED_CHARS = 4_000_000;

    private final Function<String, int[]> encode;
    private final boolean splits;
    /** Special tokens in the order llama.cpp tries them: longest first. */
    private final List<Special> specials;
    private final Map<Character, List<Special>> specialsByFirstChar = new HashMap<>();
    /** Whether a special token starts with this character: most of a prompt's characters are skipped unboxed. */
    private final boolean[] startsASpecial = new boolean[Character.MAX_VALUE + 1];
    private final LinkedHashMap<String, int[]> cache = new LinkedHashMap<>(256, 0.75f, true);
    private long cachedChars;

    private record Special(String text, int id, int rank) {
    }

    /** @param encode llama.cpp's tokenizer: no BOS added, special tokens parsed */
    PromptTokenizer(Vocabulary vocabulary, Function<String, int[]> encode) {
        this.encode = encode;
        this.splits = vocabulary.bytePairs();
        List<Map.Entry<String, Integer>> byLength = new ArrayList<>(vocabulary.specialTokens().entrySet());
        byLength.sort(Comparator.comparingInt((Map.Entry<String, Integer> e) -> -e.getKey().length())
                .thenComparingInt(Map.Entry::getValue));
        this.specials = new ArrayList<>();
        for (Map.Entry<String, Integer> e : byLength) {
            Special special = new Special(e.getKey(), e.getValue(), specials.size());
            specials.add(special);
            specialsByFirstChar.computeIfAbsent(e.getKey().charAt(0), c -> new ArrayList<>()).add(special);
            startsASpecial[e.getKey().charAt(0)] = true;
        }
    }

    /** The prompt's token ids, without BOS. */
    synchronized int[] tokenize(String text) {
        if (!splits || text.isEmpty()) {
            return encode.apply(text);
        }
        List<int[]> parts = new ArrayList<>();
        int length = 0;
        int start = 0;
        for (int[] match : specialMatches(text)) { // {position, end, id}, in text order
            if (match[0] > start) {
                int[] ids = piece(text.substring(start, match[0]));
                parts.add(ids);
                length += ids.length;
            }
            parts.add(new int[]{match[2]});
            length++;
            start = match[1];
        }
        if (start < text.length()) {
            int[] ids = piece(text.substring(start));
            parts.add(ids);
            length += ids.length;
        }
        int[] all = new int[length];
        int at = 0;
        for (int[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    /**
     * Where llama.cpp finds special tokens: each token in turn, longest first, takes its leftmost non-overlapping
     * occurrences that lie wholly in text no earlier token has taken.
     */
    private List<int[]> specialMatches(String text) {
        List<int[]> candidates = new ArrayList<>(); // {rank, position}
        for (int i = 0; i < text.length(); i++) {
            if (!startsASpecial[text.charAt(i)]) {
                continue;
            }
            for (Special s : specialsByFirstChar.get(text.charAt(i))) {
                if (text.startsWith(s.text(), i)) {
                    candidates.add(new int[]{s.rank(), i});
                }
            }
        }
        if (candidates.isEmpty()) {
            return List.of();
        }
        candidates.sort(Comparator.<int[]>comparingInt(c -> c[0]).thenComparingInt(c -> c[1]));
        boolean[] taken = new boolean[text.length()];
        List<int[]> matches = new ArrayList<>();
        int rank = -1;
        int lastEnd = 0;
        for (int[] candidate : candidates) {
            Special s = specials.get(candidate[0]);
            if (candidate[0] != rank) {
                rank = candidate[0];
                lastEnd = 0;
            }
            int position = candidate[1];
            int end = position + s.text().length();
            if (position < lastEnd || anyTaken(taken, position, end)) {
                continue;
            }
            Arrays.fill(taken, position, end, true);
            matches.add(new int[]{position, end, s.id()});
            lastEnd = end;
        }
        matches.sort(Comparator.comparingInt(m -> m[0]));
        return matches;
    }

    private static boolean anyTaken(boolean[] taken, int from, int to) {
        for (int i = from; i < to; i++) {
            if (taken[i]) {
                return true;
            }
        }
        return false;
    }

    private int[] piece(String text) {
        int[] ids = cache.get(text);
        if (ids == null) {
            ids = encode.apply(text);
            cache.put(text, ids);
            cachedChars += text.length();
            var oldest = cache.entrySet().iterator();
            while (cachedChars > MAX_CACHED_CHARS && oldest.hasNext()) {
                cachedChars -= oldest.next().getKey().length();
                oldest.remove();
            }
        }
        return ids;
    }
}
