package dev.ggufserver.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** For each schema: documents the grammar must accept and documents it must reject. */
class JsonSchemaGrammarCaseTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() {
        return Stream.of(
                c("{\"type\":\"string\"}", List.of("\"\"", "\"abc\"", "\"a\\\"b\"", "\"\\u00e9\"", "\"中\""),
                        List.of("abc", "\"a\"b\"", "\"\\ud800\"", "1", " \"a\"")),
                c("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}", List.of("\"ab\"", "\"a\\nc\""),
                        List.of("\"a\"", "\"abcd\"")),
                c("{\"type\":\"integer\"}", List.of("0", "-12", "1234567890123456"),
                        List.of("01", "1.5", "-", "12345678901234567", "--1")),
                c("{\"type\":\"integer\",\"minimum\":-5,\"maximum\":12}", List.of("-5", "0", "9", "12", "-1"),
                        List.of("-6", "13", "-0", "100")),
                c("{\"type\":\"integer\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":100}", List.of("1", "99"),
                        List.of("0", "100")),
                c("{\"type\":\"integer\",\"minimum\":37,\"maximum\":4521}", List.of("37", "99", "100", "4521",
                        "4499"), List.of("36", "4522", "4600", "5000")),
                c("{\"type\":\"number\",\"minimum\":0,\"maximum\":1}", List.of("0", "0.5", "1", "1.000"),
                        List.of("1.5", "-0.1", "2", "1.01")),
                c("{\"type\":\"number\"}", List.of("1", "-1.5", "2e10", "0.25E-3"), List.of(".5", "1.", "+1")),
                c("{\"type\":\"boolean\"}", List.of("true", "false"), List.of("True", "1")),
                c("{\"type\":[\"string\",\"null\"]}", List.of("null", "\"x\""), List.of("1")),
                c("{\"enum\":[\"red\",\"green\",1,null]}", List.of("\"red\"", "1", "null"),
                        List.of("\"blue\"", "2")),
                c("{\"type\":\"string\",\"enum\":[\"a\",2]}", List.of("\"a\""), List.of("2")),
                c("{\"const\":{\"a\":[1,2]}}", List.of("{\"a\":[1,2]}"), List.of("{\"a\":[1]}")),
                c("{\"type\":\"string\",\"format\":\"date\"}", List.of("\"2024-02-28\"", "\"1999-12-31\""),
                        List.of("\"2024-02-30\"", "\"2024-13-01\"", "\"2024-04-31\"")),
                c("{\"type\":\"string\",\"format\":\"date-time\"}", List.of("\"2024-01-01T10:20:30Z\"",
                        "\"2024-01-01T10:20:30.123+02:00\""), List.of("\"2024-01-01 10:20:30Z\"",
                        "\"2024-01-01T24:00:00Z\"")),
                c("{\"type\":\"string\",\"format\":\"uuid\"}", List.of("\"123e4567-e89b-12d3-a456-426614174000\""),
                        List.of("\"123e4567e89b12d3a456426614174000\"")),
                c("{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}-\\\\d{3}$\"}", List.of("\"AB-123\""),
                        List.of("\"AB-12\"", "\"ab-123\"", "\"xAB-123\"")),
                c("{\"type\":\"string\",\"pattern\":\"cat|dog\"}", List.of("\"cat\"", "\"hotdogs\""),
                        List.of("\"cow\"")),
                c("{\"type\":\"string\",\"pattern\":\"^(?:a|b\\\\.)+$\"}", List.of("\"ab.a\""),
                        List.of("\"abc\"", "\"\"")),
                c("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}",
                        List.of("[1]", "[1, 2,3]", "[\n  1,\n  2\n]"), List.of("[]", "[1,2,3,4]", "[1,]")),
                c("{\"type\":\"array\",\"items\":{\"type\":\"null\"},\"maxItems\":1}", List.of("[]", "[null]"),
                        List.of("[null,null]")),
                c("{\"type\":\"array\",\"maxItems\":0}", List.of("[]"), List.of("[1]")),
                c("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}", List.of("[]", "[\"a\"]"),
                        List.of("[1]")),
                c("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"string\"},"
                        + "\"c\":{\"type\":\"boolean\"}},\"required\":[\"b\"]}",
                        List.of("{\"b\":\"x\"}", "{\"a\":1,\"b\":\"x\"}", "{\"b\":\"x\",\"c\":true}",
                                "{ \"a\": 1, \"b\": \"x\", \"c\": false }"),
                        List.of("{}", "{\"a\":1}", "{\"b\":\"x\",\"a\":1}", "{\"b\":\"x\",\"d\":1}",
                                "{\"b\":\"x\"    }")),
                c("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}",
                        List.of("{}", "{\"a\":1}"), List.of("{\"a\":1,}", "{,\"a\":1}")),
                c("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"}},\"required\":[\"id\"],"
                        + "\"additionalProperties\":{\"type\":\"string\"}}",
                        List.of("{\"id\":1}", "{\"id\":1,\"i\":\"x\",\"idx\":\"y\"}"),
                        List.of("{\"id\":1,\"id\":\"x\"}", "{\"id\":1,\"x\":2}")),
                c("{\"type\":\"object\",\"additionalProperties\":true}", List.of("{}", "{\"x\":[1,{\"y\":null}]}"),
                        List.of("[]")),
                c("{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\",\"maxLength\":1}]}",
                        List.of("1", "\"a\""), List.of("\"ab\"", "true")),
                c("{\"oneOf\":[{\"type\":\"object\",\"properties\":{\"kind\":{\"const\":\"a\"}},"
                        + "\"required\":[\"kind\"]},{\"type\":\"object\",\"properties\":{\"kind\":{\"const\":\"b\"},"
                        + "\"n\":{\"type\":\"integer\"}},\"required\":[\"kind\",\"n\"]}]}",
                        List.of("{\"kind\":\"a\"}", "{\"kind\":\"b\",\"n\":2}"), List.of("{\"kind\":\"a\",\"n\":2}")),
                c("{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},"
                        + "\"next\":{\"$ref\":\"#/$defs/node\"}},\"required\":[\"v\"]}},\"$ref\":\"#/$defs/node\"}",
                        List.of("{\"v\":1}", "{\"v\":1,\"next\":{\"v\":2,\"next\":{\"v\":3}}}"),
                        List.of("{\"v\":1,\"next\":{}}")),
                c("{\"definitions\":{\"n\":{\"type\":\"null\"}},\"allOf\":[{\"$ref\":\"#/definitions/n\"}]}",
                        List.of("null"), List.of("1")),
                c("{}", List.of("1", "\"a\"", "{\"a\":[true]}", "null"), List.of("nul", "{a:1}")));
    }

    private static Arguments c(String schema, List<String> accept, List<String> reject) {
        return Arguments.of(schema, accept, reject);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void acceptsWhatIsValidAndRejectsTheRest(String schema, List<String> accept, List<String> reject)
            throws Exception {
        String grammar = JsonSchemaGrammar.compile(JSON.readTree(schema));
        Gbnf.check(grammar);
        GbnfMatcher m = new GbnfMatcher(grammar);
        for (String a : accept) {
            assertThat(m.matches(a)).as("%s should accept %s\n%s", schema, a, grammar).isTrue();
        }
        for (String r : reject) {
            assertThat(m.matches(r)).as("%s should reject %s\n%s", schema, r, grammar).isFalse();
        }
    }

    @Test
    void theSameSchemaGivesTheSameGrammar() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"x+\"},"
                + "\"b\":{\"type\":\"integer\",\"minimum\":3}}}";
        assertThat(JsonSchemaGrammar.compile(JSON.readTree(schema)))
                .isEqualTo(JsonSchemaGrammar.compile(JSON.readTree(schema)));
    }

    @Test
    void jsonObjectAcceptsAnyObjectWithBoundedWhitespaceAndDepth() {
        String grammar = JsonSchemaGrammar.anyJsonObject();
        Gbnf.check(grammar);
        GbnfMatcher m = new GbnfMatcher(grammar);
        assertThat(m.matches("{}")).isTrue();
        assertThat(m.matches("{\"a\": [1, 2.5, \"x\", null, {\"b\": false}]}")).isTrue();
        assertThat(m.matches("{\n  \"a\": 1\n}")).isTrue();
        assertThat(m.matches("[]")).isFalse();
        assertThat(m.matches("{\"a\":1}  ")).isFalse();
        assertThat(m.matches("{\"a\":" + " ".repeat(30) + "1}")).isFalse();
        assertThat(m.matches("{\"a\":" + "[".repeat(9) + "]".repeat(9) + "}")).isFalse();
        assertThat(m.matches("{\"a\":" + "[".repeat(6) + "]".repeat(6) + "}")).isTrue();
    }
}
