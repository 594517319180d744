package dev.ggufserver.grammar;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks GBNF text in the dialect of llama.cpp b4916 before it reaches native code: rules {@code name ::= body} (names
 * of letters, digits and {@code -}), a rule ends at a newline unless inside parentheses or right after {@code |};
 * literals {@code "..."} and classes {@code [...]}/{@code [^...]} with escapes \x.., &#92;u...., \U........, \t,
 * \n, \r, \\, \", \[, \]; {@code .}; groups; {@code |}; postfix {@code * + ?} and {@code {m} {m,} {m,n}}; {@code #} comments.
 *
 * <p>Refused: empty text, no {@code root} rule, references to undefined rules, a rule defined twice, unterminated
 * literals/classes/groups, unknown escapes, repetition bounds with max &lt; min or above {@link #MAX_REPEAT}, left
 * recursion (llama.cpp rejects it), text above {@link #MAX_CHARS} characters or {@link #MAX_RULES} rules, and
 * {@code {m,n}} repetitions summing above {@link #MAX_EXPANSION}.
 */
public final class Gbnf {
    /** The largest {@code {m,n}} bound accepted (llama.cpp expands repetitions into rules). */
    public static final int MAX_REPEAT = 1000;
    public static final int MAX_CHARS = 200_000;
    public static final int MAX_RULES = 5_000;
    /** The most repetitions all {@code {m,n}} together may ask for (the sum of max, or min when unbounded). */
    public static final int MAX_EXPANSION = 100_000;

    private final String src;
    private int pos;
    private final Map<String, GbnfNode> rules = new LinkedHashMap<>();
    private final List<GbnfNode.Ref> refs = new ArrayList<>();
    private long expansion;

    private Gbnf(String src) {
        this.src = src;
    }

    /** Throws {@link GrammarSyntaxException} unless the grammar is complete and well formed. */
    public static void check(String grammar) {
        parse(grammar);
    }

    /** Parses and checks; the rules in order of definition. */
    static Map<String, GbnfNode> parse(String grammar) {
        if (grammar == null || grammar.isBlank()) {
            throw new GrammarSyntaxException(1, 1, "the grammar is empty");
        }
        if (grammar.length() > MAX_CHARS) {
            throw new GrammarSyntaxException(1, 1, "the grammar has " + grammar.length() + " characters; at most "
                    + MAX_CHARS + " are accepted");
        }
        Gbnf p = new Gbnf(grammar);
        p.parseRules();
        return p.rules;
    }

    private void parseRules() {
        space(true);
        while (pos < src.length()) {
            int start = pos;
            String name = name();
            if (name.isEmpty()) {
                throw error(start, "expected a rule name");
            }
            space(false);
            if (!src.startsWith("::=", pos)) {
                throw error(pos, "expected '::=' after rule name '" + name + "'");
            }
            pos += 3;
            space(true);
            GbnfNode body = alternatives(false);
            if (rules.put(name, body) != null) {
                throw error(start, "rule '" + name + "' is defined twice");
            }
            if (rules.size() > MAX_RULES) {
                throw error(start, "more than " + MAX_RULES + " rules");
            }
            if (pos < src.length() && src.charAt(pos) != '\n' && src.charAt(pos) != '\r') {
                throw error(pos, "unexpected '" + src.charAt(pos) + "'");
            }
            space(true);
        }
        if (rules.isEmpty()) {
            throw new GrammarSyntaxException(1, 1, "the grammar is empty: no rules");
        }
        if (!rules.containsKey("root")) {
            throw new GrammarSyntaxException(1, 1, "the grammar has no 'root' rule");
        }
        for (GbnfNode.Ref r : refs) {
            if (!rules.containsKey(r.name())) {
                throw new GrammarSyntaxException(r.line(), r.column(), "undefined rule '" + r.name() + "'");
            }
        }
        LeftRecursion.check(rules);
    }

    private GbnfNode alternatives(boolean nested) {
        List<GbnfNode> options = new ArrayList<>();
        options.add(sequence(nested));
        while (pos < src.length() && src.charAt(pos) == '|') {
            pos++;
            space(true);
            options.add(sequence(nested));
        }
        return options.size() == 1 ? options.get(0) : new GbnfNode.Alternatives(options);
    }

    private GbnfNode sequence(boolean nested) {
        List<GbnfNode> items = new ArrayList<>();
        while (pos < src.length()) {
            char c = src.charAt(pos);
            int start = pos;
            if (c == '"') {
                pos++;
                List<Integer> cps = new ArrayList<>();
                while (true) {
                    if (pos >= src.length() || src.charAt(pos) == '\n') {
                        throw error(start, "unterminated literal");
                    }
                    if (src.charAt(pos) == '"') {
                        pos++;
                        break;
                    }
                    cps.add(character());
                }
                items.add(new GbnfNode.Literal(cps.stream().mapToInt(Integer::intValue).toArray()));
            } else if (c == '[') {
                items.add(charClass());
            } else if (c == '.') {
                pos++;
                items.add(new GbnfNode.Any());
            } else if (isNameChar(c)) {
                String name = name();
                int[] lc = lineColumn(start);
                GbnfNode.Ref ref = new GbnfNode.Ref(name, lc[0], lc[1]);
                refs.add(ref);
                items.add(ref);
            } else if (c == '(') {
                pos++;
                space(true);
                GbnfNode inner = alternatives(true);
                if (pos >= src.length() || src.charAt(pos) != ')') {
                    throw error(start, "unterminated group: expected ')'");
                }
                pos++;
                items.add(inner);
            } else if (c == '*' || c == '+' || c == '?' || c == '{') {
                if (items.isEmpty()) {
                    throw error(start, "'" + c + "' with nothing before it to repeat");
                }
                items.add(repeat(items.remove(items.size() - 1)));
            } else {
                break;
            }
            space(nested);
        }
        return items.size() == 1 ? items.get(0) : new GbnfNode.Sequence(items);
    }

    private GbnfNode repeat(GbnfNode item) {
        char c = src.charAt(pos++);
        if (c == '*') {
            return new GbnfNode.Repeat(item, 0, -1);
        }
        if (c == '+') {
            return new GbnfNode.Repeat(item, 1, -1);
        }
        if (c == '?') {
            return new GbnfNode.Repeat(item, 0, 1);
        }
        int start = pos - 1;
        space(true);
        int min = integer(start);
        int max = min;
        space(true);
        if (pos < src.length() && src.charAt(pos) == ',') {
            pos++;
            space(true);
            max = pos < src.length() && Character.isDigit(src.charAt(pos)) ? integer(start) : -1;
            space(true);
        }
        if (pos >= src.length() || src.charAt(pos) != '}') {
            throw error(start, "expected '}' to close the repetition");
        }
        pos++;
        if (max != -1 && max < min) {
            throw error(start, "repetition {" + min + "," + max + "}: the maximum is below the minimum");
        }
        expansion += Math.max(min, max);
        if (expansion > MAX_EXPANSION) {
            throw error(start, "the repetitions together exceed the limit of " + MAX_EXPANSION);
        }
        return new GbnfNode.Repeat(item, min, max);
    }

    private int integer(int start) {
        int begin = pos;
        while (pos < src.length() && Character.isDigit(src.charAt(pos)) && pos - begin < 9) {
            pos++;
        }
        if (begin == pos) {
            throw error(begin, "expected a number in the repetition");
        }
        int n = Integer.parseInt(src.substring(begin, pos));
        if (n > MAX_REPEAT || (pos < src.length() && Character.isDigit(src.charAt(pos)))) {
            throw error(start, "repetition bound above the limit of " + MAX_REPEAT);
        }
        return n;
    }

    private GbnfNode charClass() {
        int start = pos++;
        boolean negated = pos < src.length() && src.charAt(pos) == '^';
        if (negated) {
            pos++;
        }
        List<int[]> ranges = new ArrayList<>();
        while (true) {
            if (pos >= src.length() || src.charAt(pos) == '\n') {
                throw error(start, "unterminated character class");
            }
            if (src.charAt(pos) == ']') {
                pos++;
                break;
            }
            int lo = character();
            int hi = lo;
            if (pos + 1 < src.length() && src.charAt(pos) == '-' && src.charAt(pos + 1) != ']') {
                pos++;
                int at = pos;
                hi = character();
                if (hi < lo) {
                    throw error(at, "character range ends below its start");
                }
            }
            ranges.add(new int[] {lo, hi});
        }
        return new GbnfNode.CharClass(negated, ranges);
    }

    /** One possibly escaped character of a literal or class. */
    private int character() {
        int start = pos;
        char c = src.charAt(pos);
        if (c != '\\') {
            int cp = src.codePointAt(pos);
            pos += Character.charCount(cp);
            return cp;
        }
        if (pos + 1 >= src.length()) {
            throw error(start, "escape at the end of the grammar");
        }
        char e = src.charAt(pos + 1);
        pos += 2;
        switch (e) {
            case 'x': return hex(2, start);
            case 'u': return hex(4, start);
            case 'U': return hex(8, start);
            case 't': return '\t';
            case 'n': return '\n';
            case 'r': return '\r';
            case '\\': case '"': case '[': case ']': return e;
            default: throw error(start, "unknown escape '\\" + e + "'");
        }
    }

    private int hex(int digits, int start) {
        if (pos + digits > src.length()) {
            throw error(start, "expected " + digits + " hex digits");
        }
        String h = src.substring(pos, pos + digits);
        if (!h.matches("[0-9a-fA-F]+")) {
            throw error(start, "expected " + digits + " hex digits");
        }
        long v = Long.parseLong(h, 16);
        if (v > Character.MAX_CODE_POINT) {
            throw error(start, "code point above U+10FFFF");
        }
        pos += digits;
        return (int) v;
    }

    private String name() {
        int begin = pos;
        while (pos < src.length() && isNameChar(src.charAt(pos))) {
            pos++;
        }
        return src.substring(begin, pos);
    }

    private static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    }

    private void space(boolean newlines) {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r'))) {
                pos++;
            } else if (c == '#') {
                while (pos < src.length() && src.charAt(pos) != '\n' && src.charAt(pos) != '\r') {
                    pos++;
                }
            } else {
                return;
            }
        }
    }

    private int[] lineColumn(int at) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < at && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new int[] {line, col};
    }

    private GrammarSyntaxException error(int at, String message) {
        int[] lc = lineColumn(at);
        return new GrammarSyntaxException(lc[0], lc[1], message);
    }

    /** llama.cpp refuses left-recursive grammars; so do we, naming the rule. */
    private static final class LeftRecursion {
        static void check(Map<String, GbnfNode> rules) {
            Set<String> nullable = new HashSet<>();
            boolean changed = true;
            while (changed) {
                changed = false;
                for (var e : rules.entrySet()) {
                    if (!nullable.contains(e.getKey()) && nullable(e.getValue(), nullable)) {
                        changed |= nullable.add(e.getKey());
                    }
                }
            }
            for (String start : rules.keySet()) {
                Set<String> seen = new HashSet<>();
                List<String> todo = new ArrayList<>();
                firstRefs(rules.get(start), nullable, todo);
                while (!todo.isEmpty()) {
                    String r = todo.remove(todo.size() - 1);
                    if (r.equals(start)) {
                        throw new GrammarSyntaxException(1, 1, "rule '" + start + "' is left-recursive");
                    }
                    if (seen.add(r)) {
                        firstRefs(rules.get(r), nullable, todo);
                    }
                }
            }
        }

        static boolean nullable(GbnfNode n, Set<String> nullable) {
            if (n instanceof GbnfNode.Literal l) {
                return l.codePoints().length == 0;
            } else if (n instanceof GbnfNode.Ref r) {
                return nullable.contains(r.name());
            } else if (n instanceof GbnfNode.Sequence s) {
                return s.items().stream().allMatch(i -> nullable(i, nullable));
            } else if (n instanceof GbnfNode.Alternatives a) {
                return a.options().stream().anyMatch(o -> nullable(o, nullable));
            } else if (n instanceof GbnfNode.Repeat r) {
                return r.min() == 0 || nullable(r.item(), nullable);
            }
            return false;
        }

        /** The rules that can be reached at the first position of {@code n}. */
        static void firstRefs(GbnfNode n, Set<String> nullable, List<String> out) {
            if (n instanceof GbnfNode.Ref r) {
                out.add(r.name());
            } else if (n instanceof GbnfNode.Sequence s) {
                for (GbnfNode i : s.items()) {
                    firstRefs(i, nullable, out);
                    if (!nullable(i, nullable)) {
                        return;
                    }
                }
            } else if (n instanceof GbnfNode.Alternatives a) {
                a.options().forEach(o -> firstRefs(o, nullable, out));
            } else if (n instanceof GbnfNode.Repeat r) {
                firstRefs(r.item(), nullable, out);
            }
        }
    }
}
