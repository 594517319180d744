package dev.ggufserver.api.openai;

import static dev.ggufserver.api.openai.BadTools.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.server.ServerConfig;
import dev.ggufserver.support.Await;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Models loaded on demand through the real engine processes: with --max-loaded-models 1 two models take turns
 * (the one not in use is unloaded, its process ends), a model in use is never unloaded under its request, and with
 * --keep-alive idle models are unloaded and load again on their next request.
 */
class ModelLoadingTest {
    private static final String CHAT = "/v1/chat/completions";

    private static GgufServer start(ServerConfig.ModelLoading loading) throws Exception {
        return GgufServer.start(ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 2048, 2, 2, "tiny-r1")
                .withOtherModels(List.of(new ServerConfig.NamedModel("hermes", RealServers.tinyModelHermes())))
                .withLoading(loading));
    }

    /** The number of calls each model's weather script writes: one (R1) or two (Hermes). */
    private static int calls(Http http, String model) {
        Http.Response r = http.post(CHAT, json("{'model':'" + model + "','messages':[{'role':'user','content':"
                + "'What is the forecast for Paris?'}]," + ToolCallingTest.TOOLS + ",'temperature':0}"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("model").asText()).isEqualTo(model);
        return r.json().at("/choices/0/message/tool_calls").size();
    }

    private static String status(Http http, String model) {
        return http.get("/v1/models/" + model).json().at("/meta/status").asText();
    }

    private static void awaitEnd(long pid) {
        Await.until("process " + pid + " ends", Duration.ofSeconds(30),
                () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void withOneLoadedAtATimeTwoModelsTakeTurnsAndTheIdleOneIsUnloaded() throws Exception {
        try (GgufServer server = start(new ServerConfig.ModelLoading(1, null))) {
            Http http = new Http("http://127.0.0.1:" + server.port());
            assertThat(status(http, "tiny-r1")).isEqualTo("ready");
            assertThat(status(http, "hermes")).isEqualTo("unloaded");
            long first = server.engine().workerPid().orElseThrow();

            assertThat(calls(http, "hermes")).isEqualTo(2); // loads it, unloading the default

            assertThat(status(http, "hermes")).isEqualTo("ready");
            assertThat(status(http, "tiny-r1")).isEqualTo("unloaded");
            assertThat(server.engines()).hasSize(1);
            awaitEnd(first);
            for (int round = 0; round < 3; round++) {
                assertThat(calls(http, "tiny-r1")).isEqualTo(1);
                assertThat(calls(http, "hermes")).isEqualTo(2);
            }
            assertThat(server.engines()).hasSize(1);
            assertThat(http.get("/health").status()).isEqualTo(200); // the default is unloaded, not unavailable
        }
    }

    @Test
    void aModelWithARunningRequestIsNeverUnloadedUnderIt() throws Exception {
        try (GgufServer server = start(new ServerConfig.ModelLoading(1, null))) {
            Http http = new Http("http://127.0.0.1:" + server.port());
            HttpResponse<Stream<String>> running = http.postLines(CHAT, "{\"model\":\"tiny-r1\",\"messages\":[{\"role\":"
                    + "\"user\",\"content\":\"loop\"}],\"max_tokens\":1500,\"stream\":true}");
            Iterator<String> lines = running.body().iterator();
            List<String> frames = new ArrayList<>();
            while (frames.size() < 3 && lines.hasNext()) { // the loop is under way
                String line = lines.next();
                if (line.startsWith("data: ")) {
                    frames.add(line.substring(6));
                }
            }

            CompletableFuture<Integer> other = CompletableFuture.supplyAsync(() -> calls(http, "hermes"));
            lines.forEachRemaining(line -> {
                if (line.startsWith("data: ")) {
                    frames.add(line.substring(6));
                }
            });

            assertThat(frames).noneMatch(f -> f.contains("\"error\""));
            assertThat(frames.get(frames.size() - 1)).isEqualTo("[DONE]");
            assertThat(frames.get(frames.size() - 2)).contains("\"finish_reason\":\"length\"");
            assertThat(other.get(60, TimeUnit.SECONDS)).isEqualTo(2); // it waited, then loaded
            assertThat(status(http, "tiny-r1")).isEqualTo("unloaded");
        }
    }

    @Test
    void idleModelsAreUnloadedAfterTheKeepAliveAndLoadAgainWhenAsked() throws Exception {
        try (GgufServer server = start(new ServerConfig.ModelLoading(0, Duration.ofSeconds(2)))) {
            Http http = new Http("http://127.0.0.1:" + server.port());
            List<Long> pids = server.engines().stream().map(e -> e.workerPid().orElseThrow()).toList();
            assertThat(pids).hasSize(2);

            Await.until("both models unloaded", Duration.ofSeconds(30),
                    () -> status(http, "tiny-r1").equals("unloaded") && status(http, "hermes").equals("unloaded"));
            pids.forEach(ModelLoadingTest::awaitEnd);
            JsonNode answer = http.post(CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").json();

            assertThat(answer.at("/choices/0/message/content").asText()).isEqualTo(TinyModel.ANSWER);
            assertThat(server.engines()).hasSize(1);
            assertThat(server.engine().workerPid().orElseThrow()).isNotIn(pids);
        }
    }

    @Test
    void aRequestsKeepAliveUnloadsItsModelAfterItOrKeepsIt() throws Exception {
        try (GgufServer server = start(new ServerConfig.ModelLoading(0, null))) {
            Http http = new Http("http://127.0.0.1:" + server.port());
            long hermesPid = server.engines().get(1).workerPid().orElseThrow();

            Http.Response once = http.post(CHAT, json("{'model':'hermes','messages':[{'role':'user','content':'hi'}],"
                    + "'keep_alive':0}"));
            assertThat(once.status()).as(once.body()).isEqualTo(200);
            awaitEnd(hermesPid); // unloaded as the request ended: its process is gone
            assertThat(status(http, "hermes")).isEqualTo("unloaded");
            assertThat(status(http, "tiny-r1")).isEqualTo("ready");

            Http.Response brief = http.post("/v1/completions", json("{'model':'hermes','prompt':'hi',"
                    + "'max_tokens':2,'keep_alive':'1s'}"));
            assertThat(brief.status()).as(brief.body()).isEqualTo(200); // loaded again for it
            long reloaded = server.engines().get(1).workerPid().orElseThrow();
            assertThat(reloaded).isNotEqualTo(hermesPid);
            Await.until("hermes unloads a second after its request", Duration.ofSeconds(30),
                    () -> status(http, "hermes").equals("unloaded"));
            awaitEnd(reloaded);

            for (String bad : List.of("'5 minutes'", "true", "{}", "1e30")) {
                Http.Response r = http.post(CHAT, json("{'messages':[{'role':'user','content':'hi'}],'keep_alive':"
                        + bad + "}"));
                assertThat(r.status()).as(bad).isEqualTo(400);
                assertThat(r.json().at("/error/param").asText()).isEqualTo("keep_alive");
            }
            assertThat(status(http, "tiny-r1")).as("no keep_alive: the server's (for good)").isEqualTo("ready");
        }
    }

    @Test
    void aStreamWaitingForItsModelToLoadIsKeptOpenByPingsAndALoadFailureIsItsErrorEvent(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path broken = java.nio.file.Files.copy(RealServers.tinyModelHermes(), dir.resolve("broken.gguf"));
        ServerConfig config = ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 2048, 2, 2, "tiny-r1")
                .withOtherModels(List.of(new ServerConfig.NamedModel("hermes", RealServers.tinyModelHermes()),
                        new ServerConfig.NamedModel("broken", broken)))
                .withLoading(new ServerConfig.ModelLoading(1, null));
        try (GgufServer server = GgufServer.start(config.withQueue(config.maxQueue(), config.queueTimeout(), 100))) {
            Http http = new Http("http://127.0.0.1:" + server.port());
            // the file goes bad after the server checked it: its engine process will fail to load it
            java.nio.file.Files.write(broken, new byte[]{'G', 'G', 'U', 'F', 3, 0, 0, 0});

            List<String> lines = http.postLines(CHAT, json("{'model':'hermes','messages':[{'role':'user',"
                    + "'content':'hi'}],'stream':true}")).body().filter(l -> !l.isEmpty()).toList();
            assertThat(lines.get(0)).as("pinged while hermes loaded").isEqualTo(": ping");
            assertThat(lines.get(lines.size() - 1)).isEqualTo("data: [DONE]");
            assertThat(String.join("\n", lines)).contains(TinyModel.ANSWER.substring(0, 5));

            List<String> failed = http.postLines(CHAT, json("{'model':'broken','messages':[{'role':'user',"
                    + "'content':'hi'}],'stream':true}")).body().filter(l -> !l.isEmpty()).toList();
            assertThat(failed.get(0)).isEqualTo(": ping");
            assertThat(failed.get(failed.size() - 1)).startsWith("data: {\"error\"").contains("model_failed");

            Http.Response whole = http.post(CHAT, json("{'model':'broken','messages':[{'role':'user',"
                    + "'content':'hi'}]}"));
            assertThat(whole.status()).isEqualTo(503);
            assertThat(whole.header("Retry-After")).isNotNull();
            assertThat(whole.json().at("/error/code").asText()).isEqualTo("model_failed");
            assertThat(calls(http, "tiny-r1")).isEqualTo(1); // the others still serve
        }
    }

    @Test
    void eachModelRunsWithItsOwnContextAndSlotsFromItsSettings() throws Exception {
        ServerConfig.ModelLoading loading = new ServerConfig.ModelLoading(0, null, null,
                java.util.Map.of("hermes", new ServerConfig.ModelSettings(1024, 1)));
        try (GgufServer server = start(loading)) {
            Http http = new Http("http://127.0.0.1:" + server.port());

            JsonNode hermes = http.get("/v1/models/hermes").json().get("meta");
            JsonNode r1 = http.get("/v1/models/tiny-r1").json().get("meta");
            assertThat(hermes.get("context_length").asInt()).isEqualTo(1024);
            assertThat(hermes.get("parallel").asInt()).isEqualTo(1);
            assertThat(r1.get("context_length").asInt()).isEqualTo(2048);
            assertThat(r1.get("parallel").asInt()).isEqualTo(2);
            assertThat(http.get("/metrics").body()).contains("gguf_slots_capacity{model=\"hermes\"} 1.0")
                    .contains("gguf_slots_capacity{model=\"tiny-r1\"} 2.0");
            // the engine holds 1024 tokens per request: a prompt of more is refused by it, not by a number we show
            String longPrompt = "hi ".repeat(400); // about 1200 tokens
            Http.Response tooLong = http.post(CHAT, json("{'model':'hermes','messages':[{'role':'user','content':'"
                    + longPrompt + "'}]}"));
            assertThat(tooLong.status()).isEqualTo(400);
            assertThat(tooLong.json().at("/error/code").asText()).isEqualTo("context_length_exceeded");
            assertThat(tooLong.json().at("/error/message").asText()).contains("1024 tokens");
            Http.Response fits = http.post(CHAT, json("{'model':'tiny-r1','messages':[{'role':'user','content':'"
                    + longPrompt + "'}],'max_tokens':4}"));
            assertThat(fits.status()).as(fits.body()).isEqualTo(200);
        }
    }
}
