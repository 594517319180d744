package dev.ggufserver.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * Integers and numbers. Without bounds an integer has up to 16 digits and a number up to 16 integral digits, 16
 * fraction digits and a 3-digit exponent (stricter than JSON, never looser).
 *
 * <p>Ranges are compiled exactly, digit by digit: {@code integer} with {@code minimum}, {@code maximum},
 * {@code exclusiveMinimum}, {@code exclusiveMaximum} (numeric, any value; rounded inwards) within ±{@link #LIMIT};
 * {@code number} with integer-valued {@code minimum}/{@code maximum} within ±{@link #LIMIT} (then without exponent).
 * A missing bound becomes ±{@link #LIMIT}. Refused: a {@code number} bound that is not an integer, exclusive bounds on
 * {@code number}, bounds beyond the limit, and a range with nothing in it.
 */
final class NumberRules {
    /** The largest magnitude a bound may have: 16 nines. */
    static final long LIMIT = 9_999_999_999_999_999L;
    private final JsonSchemaGrammar g;

    NumberRules(JsonSchemaGrammar g) {
        this.g = g;
    }

    String plainInteger() {
        return g.out.rule("integer", "\"-\"? ( \"0\" | [1-9] [0-9]{0,15} )");
    }

    String plainNumber() {
        return g.out.rule("number", plainInteger() + " ( \".\" [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,3} )?");
    }

    private static boolean ranged(JsonNode s) {
        return s.has("minimum") || s.has("maximum") || s.has("exclusiveMinimum") || s.has("exclusiveMaximum");
    }

    String integer(JsonNode s, String path) {
        if (!ranged(s)) {
            return plainInteger();
        }
        long lo = -LIMIT;
        long hi = LIMIT;
        for (String k : List.of("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")) {
            BigDecimal v = bound(s, k, path);
            if (v == null) {
                continue;
            }
            boolean lower = k.toLowerCase().contains("min");
            boolean exclusive = k.startsWith("exclusive");
            BigDecimal r = v.setScale(0, lower ? RoundingMode.CEILING : RoundingMode.FLOOR);
            if (exclusive && r.compareTo(v) == 0) {
                r = lower ? r.add(BigDecimal.ONE) : r.subtract(BigDecimal.ONE);
            }
            long b = r.max(BigDecimal.valueOf(-LIMIT - 1)).min(BigDecimal.valueOf(LIMIT + 1)).longValueExact();
            if (lower) {
                lo = Math.max(lo, b);
            } else {
                hi = Math.min(hi, b);
            }
        }
        if (lo > hi) {
            throw new UnsupportedSchemaException(path, "minimum", "the range is empty: nothing can match");
        }
        List<String> options = new ArrayList<>();
        if (lo < 0) {
            options.add("\"-\" " + digits(Math.max(1, -hi), -lo));
        }
        if (hi >= 0) {
            options.add(digits(Math.max(0, lo), hi));
        }
        return g.out.rule("integer-" + lo + "-" + hi, String.join(" | ", options));
    }

    String number(JsonNode s, String path) {
        if (!ranged(s)) {
            return plainNumber();
        }
        for (String k : List.of("exclusiveMinimum", "exclusiveMaximum")) {
            if (s.has(k)) {
                throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, k), k, "'" + k
                        + "' on a number is not supported (use type integer, or minimum/maximum)");
            }
        }
        long lo = integral(s, "minimum", path, -LIMIT);
        long hi = integral(s, "maximum", path, LIMIT);
        if (lo > hi) {
            throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, "minimum"), "minimum",
                    "the range is empty: nothing can match");
        }
        List<String> options = new ArrayList<>();
        if (lo < 0) {
            options.add("\"-\" " + magnitude(Math.max(0, -hi), -lo));
        }
        if (hi >= 0) {
            options.add(magnitude(Math.max(0, lo), hi));
        }
        return g.out.rule("number-" + lo + "-" + hi, String.join(" | ", options));
    }

    /** Non-negative reals in [p, q] written without exponent: integral part in [p, q-1] or q with zero fraction. */
    private String magnitude(long p, long q) {
        String frac = "( \".\" [0-9]{1,16} )?";
        String top = digits(q, q) + " ( \".\" \"0\"{1,16} )?";
        return p == q ? "( " + top + " )" : "( " + digits(p, q - 1) + " " + frac + " | " + top + " )";
    }

    private long integral(JsonNode s, String k, String path, long absent) {
        BigDecimal v = bound(s, k, path);
        if (v == null) {
            return absent;
        }
        if (v.stripTrailingZeros().scale() > 0) {
            throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, k), k, "'" + k
                    + "' on a number must be an integer value to be expressed exactly");
        }
        return v.longValueExact();
    }

    private static BigDecimal bound(JsonNode s, String k, String path) {
        JsonNode v = s.get(k);
        if (v == null) {
            return null;
        }
        if (!v.isNumber()) {
            throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, k), k, "'" + k + "' must be a number");
        }
        BigDecimal d = v.decimalValue();
        if (d.abs().compareTo(BigDecimal.valueOf(LIMIT)) > 0) {
            throw new UnsupportedSchemaException(JsonSchemaGrammar.at(path, k), k, "'" + k
                    + "' beyond the supported magnitude " + LIMIT);
        }
        return d;
    }

    /** Decimal integers without leading zeros in [a, b], 0 <= a <= b: one group. */
    static String digits(long a, long b) {
        List<String> options = new ArrayList<>();
        for (int d = String.valueOf(a).length(); d <= String.valueOf(b).length(); d++) {
            long from = Math.max(a, d == 1 ? 0 : pow10(d - 1));
            long to = Math.min(b, pow10(d) - 1);
            if (from <= to) {
                options.add(sameLength(String.valueOf(from), String.valueOf(to)));
            }
        }
        return "( " + String.join(" | ", options) + " )";
    }

    private static long pow10(int n) {
        long r = 1;
        for (int i = 0; i < n; i++) {
            r *= 10;
        }
        return r;
    }

    /** Strings of the same length between {@code a} and {@code b} inclusive, as a GBNF sequence. */
    private static String sameLength(String a, String b) {
        if (a.isEmpty()) {
            return "\"\"";
        }
        int n = a.length() - 1;
        char x = a.charAt(0);
        char y = b.charAt(0);
        String restA = a.substring(1);
        String restB = b.substring(1);
        if (x == y) {
            return n == 0 ? "\"" + x + "\"" : "\"" + x + "\" " + sameLength(restA, restB);
        }
        if (restA.chars().allMatch(c -> c == '0') && restB.chars().allMatch(c -> c == '9')) {
            return "[" + x + "-" + y + "]" + any(n);
        }
        List<String> options = new ArrayList<>();
        options.add("\"" + x + "\" " + sameLength(restA, "9".repeat(n)));
        if (y - x > 1) {
            options.add("[" + (char) (x + 1) + "-" + (char) (y - 1) + "]" + any(n));
        }
        options.add("\"" + y + "\" " + sameLength("0".repeat(n), restB));
        return "( " + String.join(" | ", options) + " )";
    }

    private static String any(int n) {
        return n == 0 ? "" : n == 1 ? " [0-9]" : " [0-9]{" + n + "}";
    }
}
