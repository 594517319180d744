package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.generation.ModelHost;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Ollama's keep_alive as a request field: the forms it takes, and what is refused. */
class KeepAliveTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "300          | PT5M",
        "0            | PT0S",
        "2.5          | PT2.5S",
        "'\"5m\"'     | PT5M",
        "'\"1h30m\"'  | PT1H30M",
        "'\"300ms\"'  | PT0.3S",
        "'\"1m30s\"'  | PT1M30S",
        "'\"3600\"'   | PT1H",
        "'\"0\"'      | PT0S",
        "'\"0s\"'     | PT0S",
    })
    void acceptsSecondsAndGoDurations(String json, String expected) throws Exception {
        assertThat(RequestValidator.keepAlive(JSON.readTree(json))).isEqualTo(Duration.parse(expected));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-1", "-5.5", "\"-1\"", "\"-1m\""})
    void aNegativeValueKeepsTheModelLoaded(String json) throws Exception {
        assertThat(RequestValidator.keepAlive(JSON.readTree(json))).isEqualTo(ModelHost.KEEP_LOADED);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"\"5 minutes\"", "\"5\u00b5s\"", "\"m\"", "\"10mx\"", "\"\"", "\"1d\"", "true", "{}",
        "[1]", "1e30", "31536001"})
    void refusesEverythingElseNamingTheField(String json) throws Exception {
        assertThatThrownBy(() -> RequestValidator.keepAlive(JSON.readTree(json)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.body().error().param()).isEqualTo("keep_alive");
                });
    }

    @org.junit.jupiter.api.Test
    void absentIsTheServersKeepAlive() throws Exception {
        assertThat(RequestValidator.keepAlive(null)).isNull();
        assertThat(RequestValidator.keepAlive(JSON.readTree("null"))).isNull();
    }
}
