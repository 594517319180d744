package dev.ggufserver.api.openai;

import static dev.ggufserver.api.openai.BadTools.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.server.ServerConfig;
import dev.ggufserver.server.StartupException;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two scripted models served at once by name, each in its own engine process: the R1-templated tiny model (the
 * default) calls get_weather once in DeepSeek-R1's syntax, the Hermes-templated one calls two tools in Hermes
 * syntax, so each answer shows which model wrote it.
 */
class SeveralModelsTest {
    private static final String CHAT = "/v1/chat/completions";
    private static GgufServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        server = RealServers.twoModels();
        http = new Http("http://127.0.0.1:" + server.port());
    }

    private static String forecast(String model, String extra) {
        return json("{" + (model == null ? "" : "'model':'" + model + "',") + "'messages':[{'role':'user',"
                + "'content':'What is the forecast for Paris?'}]," + ToolCallingTest.TOOLS + ",'temperature':0"
                + extra + "}");
    }

    private static List<String> callNames(JsonNode response) {
        List<String> names = new ArrayList<>();
        response.at("/choices/0/message/tool_calls").forEach(c -> names.add(c.at("/function/name").asText()));
        return names;
    }

    @Test
    void eachModelAnswersByItsNameStreamedOrNotAndTheFirstIsTheDefault() throws Exception {
        for (String model : new String[]{"tiny-r1", "hermes", null}) {
            Http.Response r = http.post(CHAT, forecast(model, ""));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            List<String> expected = "hermes".equals(model) ? List.of("get_weather", "get_time")
                    : List.of("get_weather");

            assertThat(r.json().get("model").asText()).isEqualTo(model == null ? "tiny-r1" : model);
            assertThat(callNames(r.json())).as(String.valueOf(model)).isEqualTo(expected);
            ToolCallingTest.Streamed streamed = ToolCallingTest.stream(http, forecast(model, ",'stream':true"));
            assertThat(streamed.calls()).extracting(c -> c.get("name").asText()).isEqualTo(expected);
            assertThat(streamed.finishReason()).isEqualTo("tool_calls");
        }
    }

    @Test
    void anUnknownModelIs404NamingTheServedOnes() {
        Http.Response r = http.post(CHAT, forecast("gpt-4o", ""));

        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(r.json().at("/error/message").asText()).contains("'gpt-4o'", "'tiny-r1'", "'hermes'");
        assertThat(http.get("/v1/models/gpt-4o").status()).isEqualTo(404);
        Http.Response text = http.post("/v1/completions", "{\"model\":\"nope\",\"prompt\":\"hi\"}");
        assertThat(text.status()).isEqualTo(404);
    }

    @Test
    void theModelListShowsBothEachWithItsOwnEngineProcessAndGauges() {
        JsonNode list = http.get("/v1/models").json();

        assertThat(list.get("data")).extracting(m -> m.get("id").asText()).containsExactly("tiny-r1", "hermes");
        list.get("data").forEach(m -> assertThat(m.at("/meta/status").asText()).isEqualTo("ready"));
        assertThat(http.get("/v1/models/hermes").json().at("/meta/chat_template").asBoolean()).isTrue();
        assertThat(list.at("/data/0/meta/capabilities")).extracting(JsonNode::asText)
                .containsExactly("completion", "chat", "tools", "thinking");
        assertThat(server.engines()).hasSize(2);
        assertThat(server.engines().get(0).workerPid().orElseThrow())
                .isNotEqualTo(server.engines().get(1).workerPid().orElseThrow());
        String metrics = http.get("/metrics").body();
        assertThat(metrics).contains("gguf_slots_capacity{model=\"tiny-r1\"} 2.0")
                .contains("gguf_slots_capacity{model=\"hermes\"} 2.0");
    }

    @Test
    void completionMetricsAreCountedForTheModelThatServedThem() {
        double hermesBefore = metric("gguf_completions_total", "model=\"hermes\"");
        double r1Before = metric("gguf_completions_total", "model=\"tiny-r1\"");
        double hermesTokensBefore = metric("gguf_tokens_generated_total", "model=\"hermes\"");

        Http.Response r = http.post(CHAT, forecast("hermes", ""));
        assertThat(r.status()).as(r.body()).isEqualTo(200);

        assertThat(metric("gguf_completions_total", "model=\"hermes\"") - hermesBefore).isEqualTo(1);
        assertThat(metric("gguf_completions_total", "model=\"tiny-r1\"")).isEqualTo(r1Before);
        assertThat(metric("gguf_tokens_generated_total", "model=\"hermes\"") - hermesTokensBefore)
                .isEqualTo(r.json().at("/usage/completion_tokens").asDouble());
    }

    /** The sum of a metric's series whose labels contain {@code label}. */
    private static double metric(String name, String label) {
        return http.get("/metrics").body().lines().filter(l -> l.startsWith(name + "{") && l.contains(label))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void bothModelsServeAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<JsonNode>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String model = i % 2 == 0 ? "tiny-r1" : "hermes";
                String body = json("{'model':'" + model + "','messages':[{'role':'user','content':'hi'}]}");
                answers.add(pool.submit(() -> http.post(CHAT, body).json()));
            }
            for (int i = 0; i < answers.size(); i++) {
                JsonNode answer = answers.get(i).get(60, TimeUnit.SECONDS);
                assertThat(answer.get("model").asText()).isEqualTo(i % 2 == 0 ? "tiny-r1" : "hermes");
                assertThat(answer.at("/choices/0/message/content").asText()).isEqualTo(TinyModel.ANSWER);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void twoModelsOfOneNameAreAUsageErrorBeforeAnythingStarts() {
        ServerConfig twice = ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 512, 1, 2, "same")
                .withOtherModels(List.of(new ServerConfig.NamedModel("same", RealServers.tinyModelHermes())));

        assertThatThrownBy(() -> GgufServer.start(twice)).isInstanceOf(StartupException.class)
                .hasMessageContaining("two models are served as 'same'").hasMessageContaining("NAME=REF")
                .satisfies(e -> assertThat(((StartupException) e).exitCode()).isEqualTo(StartupException.USAGE));
    }
}
