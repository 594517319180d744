package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.util.ArrayList;
import org.assertj.core.api.SoftAssertions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Schemas and grammars the server cannot honour, sent to the real engine's server: each is a 400 naming the field
 * (down to the keyword inside the schema), and the engine process is the same process afterwards: nothing reached
 * native code.
 */
class StructuredOutputRefusalTest {
    private static final String SCHEMA = "response_format.json_schema.schema";

    record Case(String endpoint, String body, String param, String words) {
    }

    private static String chat(String extra) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]" + extra + "}";
    }

    private static Case schema(String schema, String param, String words) {
        return new Case("/v1/chat/completions", chat(",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                + "{\"name\":\"s\",\"schema\":" + schema + "}}"), param, words);
    }

    private static Case chatCase(String extra, String param, String words) {
        return new Case("/v1/chat/completions", chat(extra), param, words);
    }

    private static String nested(int depth) {
        return "{\"type\":\"array\",\"items\":".repeat(depth) + "{\"type\":\"null\"}" + "}".repeat(depth);
    }

    private static String manyProperties(int count) {
        StringBuilder s = new StringBuilder("{\"type\":\"object\",\"properties\":{");
        for (int i = 0; i < count; i++) {
            s.append(i == 0 ? "" : ",").append("\"p").append(i).append("\":{\"type\":\"integer\"}");
        }
        return s.append("}}").toString();
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>(List.of(
                chatCase(",\"response_format\":{\"type\":\"json_schema\"}", "response_format.json_schema",
                        "is required"),
                chatCase(",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{}}}",
                        "response_format.json_schema.name", "name is required"),
                chatCase(",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"a b\","
                        + "\"schema\":{}}}", "response_format.json_schema.name", "letters, digits"),
                chatCase(",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\"}}",
                        SCHEMA, "is required"),
                chatCase(",\"response_format\":{\"type\":\"xml\"}", "response_format.type", "'xml'"),
                schema("\"object\"", SCHEMA, "must be an object or a boolean"),
                schema("false", SCHEMA, "accepts nothing"),
                schema("{\"type\":\"strin\"}", SCHEMA + ".type", "strin"),
                schema("{\"type\":7}", SCHEMA + ".type", "type"),
                schema("{\"not\":{\"type\":\"null\"}}", SCHEMA + ".not", "'not'"),
                schema("{\"if\":{},\"then\":{},\"else\":{}}", SCHEMA + ".if", "'if'"),
                schema("{\"type\":\"array\",\"uniqueItems\":true}", SCHEMA + ".uniqueItems", "'uniqueItems'"),
                schema("{\"type\":\"object\",\"patternProperties\":{\"^a\":{}}}", SCHEMA + ".patternProperties",
                        "'patternProperties'"),
                schema("{\"$ref\":\"http://127.0.0.1:9/schema.json\"}", SCHEMA + ".$ref", "$ref"),
                schema("{\"$ref\":\"#/$defs/missing\"}", SCHEMA + ".$ref", "$ref"),
                schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"(?=x)\"}}}",
                        SCHEMA + ".properties.a.pattern", "pattern"),
                schema("{\"type\":\"string\",\"maxLength\":100000}", SCHEMA + ".maxLength", "maxLength"),
                schema("{\"type\":\"integer\",\"multipleOf\":3}", SCHEMA + ".multipleOf", "'multipleOf'"),
                schema(nested(40), SCHEMA + ".items".repeat(33), "nested deeper"), // where the limit is passed
                schema(manyProperties(300), SCHEMA + ".properties", "properties"),
                chatCase(",\"grammar\":\"root ::= (\"", "grammar", "line 1"),
                chatCase(",\"grammar\":\"rot ::= \\\"a\\\"\"", "grammar", "root"),
                chatCase(",\"grammar\":\"root ::= undefined-rule\"", "grammar", "undefined-rule"),
                chatCase(",\"grammar\":\"root ::= root \\\"a\\\"\"", "grammar", "left-recursive"),
                chatCase(",\"grammar\":5", "grammar", "GBNF text"),
                chatCase(",\"grammar\":\"\"", "grammar", "GBNF text"),
                chatCase(",\"grammar\":\"root ::= \\\"a\\\"\",\"response_format\":{\"type\":\"json_object\"}",
                        "grammar", "cannot be combined"),
                chatCase(",\"response_format\":{\"type\":\"json_object\"},\"ignore_eos\":true", "ignore_eos",
                        "cannot be combined"),
                chatCase(",\"grammar\":\"root ::= \\\"a\\\"\",\"ignore_eos\":true", "ignore_eos",
                        "cannot be combined"),
                new Case("/v1/completions", "{\"prompt\":\"hi\",\"grammar\":\"root ::= [\"}", "grammar", "line 1"),
                new Case("/v1/completions", "{\"prompt\":\"hi\",\"response_format\":{\"type\":\"json_schema\","
                        + "\"json_schema\":{\"name\":\"s\",\"schema\":{\"not\":{}}}}}", SCHEMA + ".not", "'not'")));
        return cases;
    }

    @Test
    void everySchemaOrGrammarWeCannotHonourIsA400NamingItAndTheEngineProcessStaysTheSame() {
        GgufServer server = RealServers.server(RealServers.tinyModel(), 512, 4);
        Http http = new Http("http://127.0.0.1:" + server.port());
        long pid = server.engine().workerPid().orElseThrow();
        long restarts = server.engine().restarts();

        SoftAssertions soft = new SoftAssertions();
        for (Case c : cases()) {
            Http.Response r = http.post(c.endpoint(), c.body());

            soft.assertThat(r.status()).as(c.body() + " -> " + r.body()).isEqualTo(400);
            JsonNode error = r.json().path("error");
            soft.assertThat(error.path("type").asText()).as(c.body()).isEqualTo("invalid_request_error");
            soft.assertThat(error.path("param").asText()).as(c.body()).isEqualTo(c.param());
            soft.assertThat(error.path("message").asText()).as(c.body()).contains(c.words());
        }
        soft.assertAll();

        assertThat(server.engine().workerPid().orElseThrow()).isEqualTo(pid);
        assertThat(server.engine().restarts()).isEqualTo(restarts);
        JsonNode after = http.post("/v1/chat/completions", chat("")).json();
        assertThat(after.get("choices").get(0).get("message").get("content").asText()).isEqualTo(TinyModel.ANSWER);
    }
}
