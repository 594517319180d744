package dev.ggufserver.engine.llama;

import dev.ggufserver.engine.ContentSpan;
import java.nio.charset.StandardCharsets;
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
 *
 * <p>Two more cuts, each changing the tokens only where it cuts:
 * <ul>
 *   <li><b>Long runs.</b> llama.cpp b4916 splits a Qwen2 piece with {@code std::regex}, whose matcher recurses once
 *       per character of a match: a run of a few thousand letters, spaces or punctuation overflows the stack and
 *       kills the process. A run of one character class longer than {@link #MAX_RUN} characters is cut into
 *       pieces of that length (no word is that long; the tokens of such a run differ only at the cuts).</li>
 *   <li><b>Content.</b> In message content special-token text is plain text: it is never matched as a special
 *       token, and each occurrence is cut in two, so that llama.cpp, which parses special tokens in every piece,
 *       sees no whole one.</li>
 * </ul>
 */
final class PromptTokenizer {
    /** Cached text, counted in characters: a few long conversations. */
    static final long MAX_CACHED_CHARS = 4_000_000;
    /** Longest run of one character class handed to llama.cpp in one piece; thousands crash it (see above). */
    static final int MAX_RUN = 256;

    private final Function<String, int[]> encode;
    private final boolean splits;
    /** Special tokens in the order llama.cpp tries them: longest first. */
    private final List<Special> specials;
    private final Map<Character, List<Special>> specialsByFirstChar = new HashMap<>();
    /** Whether a special token starts with this character: most of a prompt's characters are skipped unboxed. */
    private final boolean[] startsASpecial = new boolean[Character.MAX_VALUE + 1];
    private final LinkedHashMap<String, int[]> cache = new LinkedHashMap<>(256, 0.75f, true);
    /** The token each printed text stands for (special tokens first, then the lowest id), for generated pieces. */
    private final Map<String, Integer> tokenByText = new HashMap<>();
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
            tokenByText.putIfAbsent(e.getKey(), e.getValue());
        }
        List<byte[]> pieces = vocabulary.pieces();
        for (int id = 0; id < pieces.size(); id++) {
            byte[] piece = pieces.get(id);
            if (piece.length > 0) {
                tokenByText.putIfAbsent(new String(piece, StandardCharsets.ISO_8859_1), id);
            }
        }
    }

    /**
     * The ids of a continued prompt, without BOS: each token span (a piece the model generated) is the token that
     * prints exactly its text, or, when no single token does, its text tokenized as content; the text between them
     * is tokenized as usual, content spans included.
     */
    synchronized int[] tokenize(String text, List<ContentSpan> content, List<ContentSpan> tokens) {
        if (tokens.isEmpty()) {
            return tokenize(text, content);
        }
        List<int[]> parts = new ArrayList<>();
        int start = 0;
        for (ContentSpan token : tokens) {
            if (token.start() > start) {
                parts.add(tokenize(text.substring(start, token.start()), within(content, start, token.start())));
            }
            String piece = text.substring(token.start(), token.end());
            start = token.end();
            if (piece.isEmpty()) {
                continue;
            }
            Integer id = tokenByText.get(new String(piece.getBytes(StandardCharsets.UTF_8),
                    StandardCharsets.ISO_8859_1));
            parts.add(id != null ? new int[]{id} : tokenize(piece, List.of(new ContentSpan(0, piece.length()))));
        }
        if (start < text.length()) {
            parts.add(tokenize(text.substring(start), within(content, start, text.length())));
        }
        return join(parts);
    }

    /** The parts of {@code spans} between {@code from} and {@code to}, counted from {@code from}. */
    private static List<ContentSpan> within(List<ContentSpan> spans, int from, int to) {
        List<ContentSpan> result = new ArrayList<>();
        for (ContentSpan span : spans) {
            int start = Math.max(span.start(), from);
            int end = Math.min(span.end(), to);
            if (start < end) {
                result.add(new ContentSpan(start - from, end - from));
            }
        }
        return result;
    }

    private static int[] join(List<int[]> parts) {
        int length = 0;
        for (int[] part : parts) {
            length += part.length;
        }
        int[] all = new int[length];
        int at = 0;
        for (int[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    /** The prompt's token ids, without BOS; all special-token text is special. */
    int[] tokenize(String text) {
        return tokenize(text, List.of());
    }

    /** The prompt's token ids, without BOS; special-token text inside the content spans is plain text. */
    synchronized int[] tokenize(String text, List<ContentSpan> content) {
        if (!splits || text.isEmpty()) {
            return encode.apply(text);
        }
        List<int[]> parts = new ArrayList<>();
        int start = 0;
        for (int[] match : specialMatches(text, content)) { // {position, end, id}, in text order
            if (match[0] > start) {
                pieces(text, start, match[0], content, parts);
            }
            parts.add(new int[]{match[2]});
            start = match[1];
        }
        if (start < text.length()) {
            pieces(text, start, text.length(), content, parts);
        }
        return join(parts);
    }

    /**
     * Where llama.cpp finds special tokens: each token in turn, longest first, takes its leftmost non-overlapping
     * occurrences that lie wholly in text no earlier token has taken.
     */
    private List<int[]> specialMatches(String text, List<ContentSpan> content) {
        List<int[]> candidates = new ArrayList<>(); // {rank, position}
        int span = 0; // the first content span that ends after i
        for (int i = 0; i < text.length(); i++) {
            if (!startsASpecial[text.charAt(i)]) {
                continue;
            }
            while (span < content.size() && content.get(span).end() <= i) {
                span++;
            }
            for (Special s : specialsByFirstChar.get(text.charAt(i))) {
                boolean inContent = span < content.size() && content.get(span).start() < i + s.text().length();
                if (!inContent && text.startsWith(s.text(), i)) {
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

    /**
     * Tokenizes the text from {@code from} to {@code to}, which holds no special token, as pieces: cut inside every
     * special-token text that overlaps content, and inside every run longer than {@link #MAX_RUN}.
     */
    private void pieces(String text, int from, int to, List<ContentSpan> content, List<int[]> parts) {
        List<Integer> cuts = contentCuts(text, from, to, content);
        int start = from;
        for (int cut : cuts) {
            runPieces(text, start, cut, parts);
            start = cut;
        }
        runPieces(text, start, to, parts);
    }

    /** Where to cut so that no piece holds a whole special token written inside content; in order. */
    private List<Integer> contentCuts(String text, int from, int to, List<ContentSpan> content) {
        if (content.isEmpty()) {
            return List.of();
        }
        List<Integer> cuts = new ArrayList<>();
        int span = 0;
        for (int i = from; i < to; i++) {
            if (!startsASpecial[text.charAt(i)]) {
                continue;
            }
            while (span < content.size() && content.get(span).end() <= i) {
                span++;
            }
            for (Special s : specialsByFirstChar.get(text.charAt(i))) {
                int end = i + s.text().length();
                boolean inContent = span < content.size() && content.get(span).start() < end;
                if (inContent && end <= to && s.text().length() > 1 && text.startsWith(s.text(), i)) {
                    int cut = i + s.text().length() / 2;
                    if (Character.isLowSurrogate(text.charAt(cut))) {
                        cut = cut - 1 > i ? cut - 1 : cut + 1; // never between the halves of a character
                    }
                    if (cut > i && cut < end) {
                        cuts.add(cut);
                    }
                }
            }
        }
        cuts.sort(null);
        return cuts;
    }

    /** Tokenizes text free of special tokens, cutting every run of one character class at {@link #MAX_RUN}. */
    private void runPieces(String text, int from, int to, List<int[]> parts) {
        if (from >= to) {
            return;
        }
        int start = from;
        int runStart = from;
        int runClass = -1;
        for (int i = from; i < to; ) {
            int cp = text.codePointAt(i);
            int c = characterClass(cp);
            if (c != runClass) {
                runClass = c;
                runStart = i;
            } else if (i - runStart >= MAX_RUN) {
                parts.add(piece(text.substring(start, i)));
                start = i;
                runStart = i;
            }
            i += Character.charCount(cp);
        }
        parts.add(piece(text.substring(start, to)));
    }

    /** The classes llama.cpp's pre-tokenizer regexes match runs of: letters, digits, whitespace, the rest. */
    static int characterClass(int codePoint) {
        if (Character.isLetter(codePoint)) {
            return 0;
        }
        if (Character.isDigit(codePoint) || Character.getType(codePoint) == Character.LETTER_NUMBER
                || Character.getType(codePoint) == Character.OTHER_NUMBER) {
            return 1;
        }
        if (Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint)) {
            return 2;
        }
        return 3;
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
