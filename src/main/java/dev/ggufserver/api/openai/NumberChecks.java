package dev.ggufserver.api.openai;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Range checks over request numbers kept as JSON nodes: non-finite values ({@code 1e400}), non-integral values
 * where an integer is needed and values beyond a long (2^80) are each refused in their own words.
 */
final class NumberChecks {
    private NumberChecks() {
    }

    static boolean absent(JsonNode v) {
        return v == null || v.isNull();
    }

    static Double number(JsonNode v, String field, double min, double max) {
        if (absent(v)) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw ApiException.invalid(field, field + " must be a finite number");
        }
        double d = v.asDouble();
        if (d < min || d > max) {
            throw ApiException.invalid(field, field + " must be between " + fmt(min) + " and " + fmt(max)
                    + ", not " + v.asText());
        }
        return d;
    }

    static Double positiveNumber(JsonNode v, String field, double max) {
        Double d = number(v, field, 0, max);
        if (d != null && d <= 0) {
            throw ApiException.invalid(field, field + " must be greater than 0");
        }
        return d;
    }

    static Integer integer(JsonNode v, String field, int min, int max) {
        if (absent(v)) {
            return null;
        }
        if (!isIntegral(v)) {
            throw ApiException.invalid(field, field + " must be an integer");
        }
        double d = v.asDouble();
        if (d < min || d > max) {
            throw ApiException.invalid(field, field + " must be between " + min + " and " + max + ", not "
                    + v.asText());
        }
        return (int) d;
    }

    static Long longInteger(JsonNode v, String field) {
        if (absent(v)) {
            return null;
        }
        if (!isIntegral(v) || !v.canConvertToLong()) {
            throw ApiException.invalid(field, field + " must be a 64-bit integer");
        }
        return v.asLong();
    }

    private static boolean isIntegral(JsonNode v) {
        if (v.isIntegralNumber()) {
            return true;
        }
        return v.isNumber() && Double.isFinite(v.asDouble()) && v.asDouble() == Math.rint(v.asDouble());
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
