package dev.ggufserver.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The Java-side check of finished answers, and that it never reaches out of the process. */
class SchemaValidationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void anAnswerIsCheckedAgainstItsSchemaWithFormats() throws Exception {
        JsonNode schema = json("{\"type\":\"object\",\"properties\":{\"a\":{\"enum\":[\"x\"]},"
                + "\"d\":{\"type\":\"string\",\"format\":\"date\"}},\"required\":[\"a\"]}");

        assertThat(SchemaValidation.problems("{\"a\": \"x\", \"d\": \"2026-12-02\"}", schema)).isEmpty();
        assertThat(SchemaValidation.problems("{\"a\":\"y\"}", schema)).isNotEmpty();
        assertThat(SchemaValidation.problems("{\"a\":\"x\",\"d\":\"2026-13-02\"}", schema)).isNotEmpty();
        assertThat(SchemaValidation.problems("{\"a\":\"x\"", schema)).singleElement().asString().startsWith("not JSON");
        assertThat(SchemaValidation.problems("", schema)).singleElement().asString().startsWith("not JSON");
    }

    @Test
    void withoutASchemaTheAnswerMustBeAnObject() {
        assertThat(SchemaValidation.problems("{\"k\": [1, {}]}", null)).isEmpty();
        assertThat(SchemaValidation.problems("[1]", null)).containsExactly("not a JSON object");
    }

    /** A client's schema may name URLs; checking the answer must not make the server fetch them. */
    @Test
    void nothingTheSchemaNamesIsEverFetched() throws Exception {
        AtomicInteger hits = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            hits.incrementAndGet();
            byte[] body = "{\"type\":\"string\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            for (String schema : new String[] {
                "{\"$schema\":\"" + base + "/meta\",\"type\":\"object\"}",
                "{\"$id\":\"" + base + "/s.json\",\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"other.json\"}}}",
                "{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"" + base + "/remote.json\"}}}"}) {
                SchemaValidation.problems("{\"a\":\"x\"}", json(schema));
            }
        } finally {
            server.stop(0);
        }
        assertThat(hits).hasValue(0);
    }
}
