package dev.ggufserver.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Soundness and completeness against a real validator: every string sampled from the grammar is JSON that validates
 * against the schema, and every valid sample document is accepted by the grammar. Seeded, so runs are repeatable.
 */
class JsonSchemaGrammarPropertyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SAMPLES = 150;

    /** Each schema with valid documents the grammar must accept. */
    private static final List<List<String>> SCHEMAS = List.of(
            List.of("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":1,"
                    + "\"maxLength\":8},\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":150},"
                    + "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\",\"c\"]},\"maxItems\":4},"
                    + "\"ok\":{\"type\":\"boolean\"}},\"required\":[\"name\",\"age\"]}",
                    "{\"name\":\"Ann\",\"age\":30}", "{\"name\":\"B\",\"age\":150,\"tags\":[\"a\",\"c\"],\"ok\":true}",
                    "{\n  \"name\": \"x\",\n  \"age\": 0,\n  \"ok\": false\n}"),
            List.of("{\"type\":\"integer\",\"minimum\":-1234,\"maximum\":98765}", "-1234", "0", "98765", "-7", "500"),
            List.of("{\"type\":\"integer\",\"exclusiveMinimum\":-10.5,\"exclusiveMaximum\":3}", "-10", "2", "0"),
            List.of("{\"type\":\"number\",\"minimum\":-3,\"maximum\":7}", "-3", "-2.5", "6.999", "7", "7.0"),
            List.of("{\"type\":\"string\",\"pattern\":\"^[a-z]+(-[a-z0-9]+)*\\\\.(com|org)$\"}", "\"a-b1.com\"",
                    "\"x.org\""),
            List.of("{\"type\":\"string\",\"pattern\":\"\\\\d{2,3}[^x]?\"}", "\"12\"", "\"a123b\"", "\"99y\""),
            List.of("{\"type\":\"string\",\"pattern\":\"^[\\\"\\\\\\\\ -~]{0,5}$\"}", "\"\\\"\\\\a\"", "\"~ \""),
            List.of("{\"type\":\"string\",\"format\":\"date-time\"}", "\"2024-02-28T23:59:59.5-05:00\""),
            List.of("{\"type\":\"string\",\"format\":\"date\"}", "\"2023-11-30\""),
            List.of("{\"type\":\"string\",\"format\":\"uuid\"}", "\"123e4567-e89b-12d3-a456-426614174000\""),
            List.of("{\"type\":\"array\",\"items\":{\"type\":[\"number\",\"null\"]},\"minItems\":2,\"maxItems\":5}",
                    "[1,null]", "[1.5e3, -2, null, 0]"),
            List.of("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},\"idx\":{\"type\":\"string\"}},"
                    + "\"additionalProperties\":{\"type\":\"boolean\"}}", "{}", "{\"id\":1,\"i\":true}",
                    "{\"idx\":\"a\",\"ids\":false,\"\":true}"),
            List.of("{\"oneOf\":[{\"type\":\"object\",\"properties\":{\"t\":{\"const\":\"circle\"},"
                    + "\"r\":{\"type\":\"number\"}},\"required\":[\"t\",\"r\"]},{\"type\":\"object\",\"properties\":"
                    + "{\"t\":{\"const\":\"square\"},\"side\":{\"type\":\"integer\"}},\"required\":[\"t\"]},"
                    + "{\"type\":\"string\"}]}", "{\"t\":\"circle\",\"r\":1.5}", "{\"t\":\"square\"}", "\"s\""),
            List.of("{\"$defs\":{\"tree\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\"},"
                    + "\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/tree\"},\"maxItems\":2}},"
                    + "\"required\":[\"v\"]}},\"$ref\":\"#/$defs/tree\"}", "{\"v\":1,\"kids\":[{\"v\":2},{\"v\":3,"
                    + "\"kids\":[]}]}"),
            List.of("{\"type\":\"object\",\"properties\":{\"any\":{}, \"e\":{\"enum\":[1,\"x\",[1],{\"k\":null}]}}}",
                    "{\"any\":{\"deep\":[1,[2,[3]]]},\"e\":{\"k\":null}}", "{\"e\":[1]}"));

    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    private JsonSchema validator(JsonNode schema) {
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        return factory.getSchema(schema, config);
    }

    @Test
    void everySampleValidatesAndEveryValidDocumentIsAccepted() throws Exception {
        long seed = 20261202L;
        for (List<String> entry : SCHEMAS) {
            JsonNode schema = JSON.readTree(entry.get(0));
            String grammar = JsonSchemaGrammar.compile(schema);
            Gbnf.check(grammar);
            JsonSchema validator = validator(schema);
            GbnfMatcher matcher = new GbnfMatcher(grammar);
            for (String valid : entry.subList(1, entry.size())) {
                assertThat(validator.validate(JSON.readTree(valid))).as("sample %s is valid", valid).isEmpty();
                assertThat(matcher.matches(valid)).as("%s accepts %s\n%s", entry.get(0), valid, grammar).isTrue();
            }
            GbnfSampler sampler = new GbnfSampler(grammar, seed++);
            for (int i = 0; i < SAMPLES; i++) {
                String doc = sampler.sample(12);
                JsonNode parsed = JSON.readTree(doc);
                Set<ValidationMessage> errors = validator.validate(parsed);
                assertThat(errors).as("%s: sampled %s\n%s", entry.get(0), doc, grammar).isEmpty();
                assertThat(matcher.matches(doc)).as("matcher accepts its own sample %s", doc).isTrue();
            }
        }
    }

    /** networknt refuses times whose offset moves them past midnight UTC (RFC 3339 allows it), so java.time checks. */
    @Test
    void sampledTimesParse() throws Exception {
        String grammar = JsonSchemaGrammar.compile(JSON.readTree("{\"type\":\"string\",\"format\":\"time\"}"));
        GbnfSampler sampler = new GbnfSampler(grammar, 5);
        for (int i = 0; i < SAMPLES; i++) {
            String t = JSON.readTree(sampler.sample(12)).textValue();
            java.time.OffsetTime.parse(t.replace('z', 'Z'));
        }
        assertThat(new GbnfMatcher(grammar).matches("\"08:00:00Z\"")).isTrue();
    }

    @Test
    void integerRangesAreExactOverARangeOfBounds() {
        java.util.Random random = new java.util.Random(7);
        for (int t = 0; t < 40; t++) {
            long lo = random.nextInt(4000) - 2000;
            long hi = lo + random.nextInt(3000);
            String grammar = JsonSchemaGrammar.compile(JSON.createObjectNode().put("type", "integer")
                    .put("minimum", lo).put("maximum", hi));
            GbnfMatcher m = new GbnfMatcher(grammar);
            for (long v = lo - 30; v <= hi + 30; v += 1 + random.nextInt(20)) {
                assertThat(m.matches(Long.toString(v))).as("[%d,%d] on %d", lo, hi, v).isEqualTo(v >= lo && v <= hi);
            }
            assertThat(m.matches(Long.toString(lo))).isTrue();
            assertThat(m.matches(Long.toString(hi))).isTrue();
        }
    }

    @Test
    void compilesAFiftyPropertySchemaQuickly() {
        var props = JSON.createObjectNode();
        var required = JSON.createArrayNode();
        for (int i = 0; i < 50; i++) {
            var p = props.putObject("field" + i);
            switch (i % 5) {
                case 0 -> p.put("type", "string").put("maxLength", 40);
                case 1 -> p.put("type", "integer").put("minimum", 0).put("maximum", 1000);
                case 2 -> p.putArray("enum").add("a").add("b").add("c");
                case 3 -> p.put("type", "array").putObject("items").put("type", "number");
                default -> p.put("type", "string").put("format", "date");
            }
            if (i % 2 == 0) {
                required.add("field" + i);
            }
        }
        var schema = JSON.createObjectNode().put("type", "object");
        schema.set("properties", props);
        schema.set("required", required);
        String grammar = JsonSchemaGrammar.compile(schema);
        Gbnf.check(grammar);
        for (int i = 0; i < 200; i++) {
            JsonSchemaGrammar.compile(schema);
        }
        int n = 500;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            JsonSchemaGrammar.compile(schema);
        }
        long perCompile = (System.nanoTime() - start) / n;
        long checkStart = System.nanoTime();
        for (int i = 0; i < n; i++) {
            Gbnf.check(grammar);
        }
        long perCheck = (System.nanoTime() - checkStart) / n;
        System.out.printf("50-property schema: compile %d us, check %d us, grammar %d chars%n", perCompile / 1000,
                perCheck / 1000, grammar.length());
        assertThat(grammar).contains("field49");
    }
}
