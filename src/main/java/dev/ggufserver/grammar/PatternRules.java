package dev.ggufserver.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code pattern}, compiled to the content of a JSON string. As in JSON Schema the pattern is unanchored: without a
 * leading {@code ^} any characters may come first, without a trailing {@code $} any may follow.
 *
 * <p>The subset: literal characters; {@code .}; classes {@code [abc] [a-z] [^...]} with the escapes below inside;
 * {@code \d \D \w \W \s \S} (ASCII meanings); escapes {@code \t \n \r \f \v \xHH \}{@code uHHHH} and {@code \} before
 * any punctuation; groups {@code (...)} and {@code (?:...)}; {@code |}; quantifiers {@code * + ? {m} {m,} {m,n}}
 * (bounds up to {@link Gbnf#MAX_REPEAT}) with an optional lazy {@code ?} (same language); {@code ^} only first and
 * {@code $} only last. Refused: lookarounds, named groups, backreferences, {@code \b \B \p \k \c}, anchors elsewhere.
 *
 * <p>Stricter than the regex, never looser: {@code .}, negated classes and {@code \D \W \S} never produce
 * {@code "}, {@code \}, controls or Unicode line/space separators; positive classes produce {@code "} and {@code \}
 * as JSON escapes, tab/newline/return as {@code \t \n \r}, and no other control character; non-ASCII characters are
 * produced raw, never as {@code \}{@code u} escapes.
 */
final class PatternRules {
    /** What the generated JSON text never contains raw inside a string, plus separators regexes treat specially. */
    private static final String EXCLUDED = "\"\\\\\\x00-\\x1F\\x7F\\x85\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029"
            + "\\u202F\\u205F\\u3000\\uFEFF";
    private static final int[][] DIGIT = {{'0', '9'}};
    private static final int[][] WORD = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
    private static final int[][] SPACE = {{'\t', '\r'}, {' ', ' '}};

    private final JsonSchemaGrammar g;
    private final String path;
    private String re;
    private int pos;

    PatternRules(JsonSchemaGrammar g, String path) {
        this.g = g;
        this.path = path;
    }

    String compile(JsonNode pattern) {
        if (!pattern.isTextual()) {
            throw refuse("'pattern' must be a string");
        }
        re = pattern.textValue();
        if (re.length() > 1000) {
            throw refuse("'pattern' longer than 1000 characters");
        }
        boolean start = re.startsWith("^");
        pos = start ? 1 : 0;
        String body = alternatives();
        boolean end = pos < re.length() && re.charAt(pos) == '$' && pos == re.length() - 1;
        if (end) {
            pos++;
        }
        if (pos < re.length()) {
            throw refuse(re.charAt(pos) == ')' ? "unbalanced ')'" : re.charAt(pos) == '$' ? "'$' is supported at "
                    + "the end only" : "unexpected '" + re.charAt(pos) + "' at " + pos);
        }
        String any = g.strings.character() + "*";
        String content = (start ? "" : any + " ") + "( " + body + " )" + (end ? "" : " " + any);
        return g.out.rule("pattern", "\"\\\"\" " + content + " \"\\\"\"");
    }

    private String alternatives() {
        List<String> options = new ArrayList<>();
        options.add(sequence());
        while (pos < re.length() && re.charAt(pos) == '|') {
            pos++;
            options.add(sequence());
        }
        return String.join(" | ", options);
    }

    private String sequence() {
        List<String> items = new ArrayList<>();
        while (pos < re.length() && re.charAt(pos) != '|' && re.charAt(pos) != ')') {
            if (re.charAt(pos) == '$' && pos == re.length() - 1) {
                break;
            }
            String atom = atom();
            items.add(atom + quantifier());
        }
        return items.isEmpty() ? "\"\"" : String.join(" ", items);
    }

    private String atom() {
        char c = re.charAt(pos);
        int at = pos;
        switch (c) {
            case '(':
                pos++;
                if (re.startsWith("?:", pos)) {
                    pos += 2;
                } else if (pos < re.length() && re.charAt(pos) == '?') {
                    throw refuse("lookarounds and named groups '(?' are not supported (at " + at + ")");
                }
                String inner = alternatives();
                if (pos >= re.length() || re.charAt(pos) != ')') {
                    throw refuse("unclosed '(' at " + at);
                }
                pos++;
                return "( " + inner + " )";
            case '[':
                return charClass();
            case '.':
                pos++;
                return "[^" + EXCLUDED + "]";
            case '^':
            case '$':
                throw refuse("'" + c + "' is supported only at the start ('^') or end ('$') (at " + at + ")");
            case '*': case '+': case '?': case '{':
                throw refuse("quantifier '" + c + "' with nothing to repeat at " + at);
            case '\\':
                pos++;
                return escapeAtom(at);
            default:
                int cp = re.codePointAt(pos);
                pos += Character.charCount(cp);
                return literal(cp);
        }
    }

    private String escapeAtom(int at) {
        if (pos >= re.length()) {
            throw refuse("'\\' at the end");
        }
        char e = re.charAt(pos);
        switch (e) {
            case 'd': pos++; return positive(List.of(DIGIT));
            case 'w': pos++; return positive(List.of(WORD));
            case 's': pos++; return positive(List.of(SPACE));
            case 'D': pos++; return negative(List.of(DIGIT));
            case 'W': pos++; return negative(List.of(WORD));
            case 'S': pos++; return negative(List.of(SPACE));
            default: return literal(escapedChar(at));
        }
    }

    /** The code point of an escape that stands for one character ({@code pos} after the backslash). */
    private int escapedChar(int at) {
        char e = re.charAt(pos++);
        switch (e) {
            case 't': return '\t';
            case 'n': return '\n';
            case 'r': return '\r';
            case 'f': return '\f';
            case 'v': return 0x0B;
            case 'x': return hex(2, at);
            case 'u': return hex(4, at);
            default:
        }
        if (Character.isLetterOrDigit(e)) {
            throw refuse("the escape '\\" + e + "' is not supported (at " + at + ")");
        }
        return e;
    }

    private int hex(int n, int at) {
        if (pos + n > re.length() || !re.substring(pos, pos + n).matches("[0-9a-fA-F]+")) {
            throw refuse("bad hex escape at " + at);
        }
        int v = Integer.parseInt(re.substring(pos, pos + n), 16);
        pos += n;
        return v;
    }

    private String charClass() {
        int at = pos++;
        boolean negated = pos < re.length() && re.charAt(pos) == '^';
        if (negated) {
            pos++;
        }
        List<int[]> ranges = new ArrayList<>();
        boolean first = true;
        while (true) {
            if (pos >= re.length()) {
                throw refuse("unclosed '[' at " + at);
            }
            char c = re.charAt(pos);
            if (c == ']' && !first) {
                pos++;
                break;
            }
            first = false;
            if (c == '\\' && pos + 1 < re.length() && "dws".indexOf(re.charAt(pos + 1)) >= 0) {
                char k = re.charAt(pos + 1);
                pos += 2;
                for (int[] r : k == 'd' ? DIGIT : k == 'w' ? WORD : SPACE) {
                    ranges.add(r);
                }
                continue;
            }
            if (c == '\\' && pos + 1 < re.length() && "DWSb".indexOf(re.charAt(pos + 1)) >= 0) {
                throw refuse("'\\" + re.charAt(pos + 1) + "' inside a class is not supported (at " + pos + ")");
            }
            if (c == '[' && pos + 1 < re.length() && re.charAt(pos + 1) == ':') {
                throw refuse("POSIX classes '[:...:]' are not supported (at " + pos + ")");
            }
            int lo = classChar();
            int hi = lo;
            if (pos + 1 < re.length() && re.charAt(pos) == '-' && re.charAt(pos + 1) != ']') {
                pos++;
                hi = classChar();
                if (hi < lo) {
                    throw refuse("class range out of order at " + at);
                }
            }
            ranges.add(new int[] {lo, hi});
        }
        return negated ? negative(ranges) : positive(ranges);
    }

    private int classChar() {
        int at = pos;
        if (re.charAt(pos) == '\\') {
            pos++;
            if (pos >= re.length()) {
                throw refuse("'\\' at the end");
            }
            if (re.charAt(pos) == 'b') {
                pos++;
                return '\b';
            }
            return escapedChar(at);
        }
        int cp = re.codePointAt(pos);
        pos += Character.charCount(cp);
        return cp;
    }

    /** Characters in {@code ranges}, as JSON string content. */
    private String positive(List<int[]> ranges) {
        StringBuilder cls = new StringBuilder();
        List<String> extra = new ArrayList<>();
        for (int[] r : ranges) {
            for (int[] piece : minusSpecials(r[0], r[1])) {
                cls.append(GrammarBuilder.escape(piece[0], true));
                if (piece[1] > piece[0]) {
                    cls.append('-').append(GrammarBuilder.escape(piece[1], true));
                }
            }
            for (int c : new int[] {'"', '\\', '\t', '\n', '\r'}) {
                String lit = literal(c);
                if (c >= r[0] && c <= r[1] && !extra.contains(lit)) {
                    extra.add(lit);
                }
            }
        }
        List<String> options = new ArrayList<>();
        if (cls.length() > 0) {
            options.add("[" + cls + "]");
        }
        options.addAll(extra);
        if (options.isEmpty()) {
            throw refuse("a class with only control characters is not supported");
        }
        return options.size() == 1 ? options.get(0) : "( " + String.join(" | ", options) + " )";
    }

    private static List<int[]> minusSpecials(int lo, int hi) {
        int[][] specials = {{0, 0x1F}, {'"', '"'}, {'\\', '\\'}, {0x7F, 0x7F}};
        List<int[]> out = new ArrayList<>();
        out.add(new int[] {lo, hi});
        for (int[] s : specials) {
            List<int[]> next = new ArrayList<>();
            for (int[] r : out) {
                if (r[1] < s[0] || r[0] > s[1]) {
                    next.add(r);
                    continue;
                }
                if (r[0] < s[0]) {
                    next.add(new int[] {r[0], s[0] - 1});
                }
                if (r[1] > s[1]) {
                    next.add(new int[] {s[1] + 1, r[1]});
                }
            }
            out = next;
        }
        return out;
    }

    /** Characters outside {@code ranges}, never anything that needs a JSON escape or is a separator. */
    private String negative(List<int[]> ranges) {
        StringBuilder cls = new StringBuilder("[^").append(EXCLUDED);
        for (int[] r : ranges) {
            cls.append(GrammarBuilder.escape(r[0], true));
            if (r[1] > r[0]) {
                cls.append('-').append(GrammarBuilder.escape(r[1], true));
            }
        }
        return cls.append(']').toString();
    }

    /** One character as JSON string content. */
    private String literal(int c) {
        switch (c) {
            case '"': return "\"\\\\\\\"\"";
            case '\\': return "\"\\\\\\\\\"";
            case '\t': return "\"\\\\t\"";
            case '\n': return "\"\\\\n\"";
            case '\r': return "\"\\\\r\"";
            default:
        }
        if (c < 0x20 || c == 0x7F) {
            throw refuse("control characters other than tab, newline and return are not supported");
        }
        return GrammarBuilder.literal(new String(Character.toChars(c)));
    }

    private String quantifier() {
        if (pos >= re.length()) {
            return "";
        }
        char c = re.charAt(pos);
        String q;
        if (c == '*' || c == '+' || c == '?') {
            pos++;
            q = String.valueOf(c);
        } else if (c == '{' && re.substring(pos).matches("^\\{\\d+(,\\d*)?}[\\s\\S]*")) {
            int close = re.indexOf('}', pos);
            String[] parts = re.substring(pos + 1, close).split(",", -1);
            long min = parse(parts[0]);
            long max = parts.length == 1 ? min : parts[1].isEmpty() ? -1 : parse(parts[1]);
            if (max >= 0 && max < min) {
                throw refuse("quantifier {" + min + "," + max + "} has max below min");
            }
            pos = close + 1;
            q = "{" + min + (parts.length == 1 ? "" : "," + (max < 0 ? "" : max)) + "}";
        } else {
            return "";
        }
        if (pos < re.length() && re.charAt(pos) == '?') {
            pos++;
        }
        if (pos < re.length() && "*+?{".indexOf(re.charAt(pos)) >= 0 && !(re.charAt(pos) == '{'
                && !re.substring(pos).matches("^\\{\\d+(,\\d*)?}[\\s\\S]*"))) {
            throw refuse("a quantifier after a quantifier is not supported (at " + pos + ")");
        }
        return q;
    }

    private long parse(String digits) {
        if (digits.length() > 6 || Long.parseLong(digits) > Gbnf.MAX_REPEAT) {
            throw refuse("quantifier bound above the limit of " + Gbnf.MAX_REPEAT);
        }
        return Long.parseLong(digits);
    }

    private UnsupportedSchemaException refuse(String message) {
        return new UnsupportedSchemaException(path, "pattern", message + " in pattern");
    }
}
