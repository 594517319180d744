package dev.ggufserver.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Schemas we cannot honour exactly: refused with the path and keyword, never compiled looser. */
class JsonSchemaGrammarRefusalTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> refusals() {
        return Stream.of(
                r("{\"not\":{\"type\":\"string\"}}", "not", "not"),
                r("{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\",\"pattern\":\"(?=a)b\"}}}",
                        "properties.x.pattern", "pattern"),
                r("{\"type\":\"string\",\"pattern\":\"(a)\\\\1\"}", "pattern", "pattern"),
                r("{\"type\":\"string\",\"pattern\":\"a\\\\bc\"}", "pattern", "pattern"),
                r("{\"type\":\"string\",\"pattern\":\"a{2000}\"}", "pattern", "pattern"),
                r("{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":\"integer\"},{\"not\":{}}]}}",
                        "items.anyOf[1].not", "not"),
                r("{\"if\":{},\"then\":{}}", "if", "if"),
                r("{\"type\":\"array\",\"uniqueItems\":true}", "uniqueItems", "uniqueItems"),
                r("{\"type\":\"object\",\"patternProperties\":{\"^a\":{}}}", "patternProperties",
                        "patternProperties"),
                r("{\"dependentSchemas\":{}}", "dependentSchemas", "dependentSchemas"),
                r("{\"type\":\"array\",\"contains\":{}}", "contains", "contains"),
                r("{\"type\":\"number\",\"multipleOf\":2}", "multipleOf", "multipleOf"),
                r("{\"$ref\":\"https://example.com/s.json\"}", "$ref", "$ref"),
                r("{\"$ref\":\"#/$defs/missing\"}", "$ref", "$ref"),
                r("{\"type\":\"strin\"}", "type", "type"),
                r("{\"type\":\"string\",\"maxLength\":5000}", "maxLength", "maxLength"),
                r("{\"type\":\"string\",\"minLength\":\"3\"}", "minLength", "minLength"),
                r("{\"type\":\"array\",\"minItems\":1001}", "minItems", "minItems"),
                r("{\"type\":\"array\",\"maxItems\":2,\"minItems\":3}", "minItems", "minItems"),
                r("{\"type\":\"string\",\"format\":\"email\"}", "format", "format"),
                r("{\"type\":\"number\",\"minimum\":0.5}", "minimum", "minimum"),
                r("{\"type\":\"number\",\"exclusiveMinimum\":0}", "exclusiveMinimum", "exclusiveMinimum"),
                r("{\"type\":\"integer\",\"maximum\":1e30}", "maximum", "maximum"),
                r("{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}", "oneOf", "oneOf"),
                r("{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":1}]}", "allOf", "allOf"),
                r("{\"type\":\"object\",\"anyOf\":[{}]}", "type", "type"),
                r("{\"type\":\"object\",\"required\":[\"a\"]}", "required", "required"),
                r("{\"type\":\"object\",\"properties\":{\"a\":false}}", "properties.a", "false"),
                r("{\"type\":\"object\",\"minProperties\":1}", "minProperties", "minProperties"),
                r("{\"nullable\":true}", "nullable", "nullable"),
                r("{\"enum\":[]}", "enum", "enum"),
                r("{\"type\":\"array\",\"items\":[{}]}", "items", "items"),
                r(deep(40), "", "schema"),
                r("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}", "", "$ref"),
                r(wide(120), "", "schema"));
    }

    private static String deep(int n) {
        return "{\"type\":\"array\",\"items\":".repeat(n) + "{}" + "}".repeat(n);
    }

    /** Distinct lengths, so the rules cannot be shared: 120 x ~1000 repetitions is above Gbnf.MAX_EXPANSION. */
    private static String wide(int n) {
        StringBuilder sb = new StringBuilder("{\"type\":\"object\",\"properties\":{");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("\"p").append(i).append("\":{\"type\":\"string\",\"maxLength\":")
                    .append(1000 - i).append('}');
        }
        return sb.append("}}").toString();
    }

    private static Arguments r(String schema, String path, String keyword) {
        return Arguments.of(schema, path, keyword);
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void refusesNamingPathAndKeyword(String schema, String path, String keyword) throws Exception {
        UnsupportedSchemaException e = catchThrowableOfType(UnsupportedSchemaException.class,
                () -> JsonSchemaGrammar.compile(JSON.readTree(schema)));
        assertThat(e).as(schema).isNotNull();
        if (!path.isEmpty()) {
            assertThat(e.path()).as(e.getMessage()).isEqualTo(path);
        }
        assertThat(e.keyword()).as(e.getMessage()).isEqualTo(keyword);
        assertThat(e.getMessage()).isNotBlank();
    }
}
