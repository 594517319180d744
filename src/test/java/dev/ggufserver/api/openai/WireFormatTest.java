package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.TestServer;
import dev.ggufserver.template.ChatMessage;
import dev.ggufserver.template.TemplateException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The wire contract (docs/openai-compatibility.md), frame by frame, over real HTTP with a scripted engine. */
class WireFormatTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HI = "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    /**
     * The prompt the server renders for {@link #HI}, with the template every {@link TestServer} uses: what
     * FakeEngine receives, and counts as one token per character.
     */
    private static String renderedHi() throws TemplateException {
        return TestServer.template().render(List.of(new ChatMessage("user", "hi")), true);
    }

    /** Frames with the id and created time replaced, after checking they are the same on every chunk. */
    private static List<String> normalized(List<String> frames) throws Exception {
        List<String> out = new ArrayList<>();
        String id = null;
        Long created = null;
        for (String frame : frames) {
            if (frame.equals("[DONE]") || frame.startsWith("{\"error\"")) {
                out.add(frame);
                continue;
            }
            JsonNode node = JSON.readTree(frame);
            id = id == null ? node.get("id").asText() : id;
            created = created == null ? node.get("created").asLong() : created;
            assertThat(node.get("id").asText()).isEqualTo(id);
            assertThat(node.get("created").asLong()).isEqualTo(created);
            out.add(frame.replace(id, "ID").replace("\"created\":" + created, "\"created\":0")
                    .replaceAll("\"timings\":\\{[^}]*}", "\"timings\":T"));
        }
        assertThat(id).matches("chatcmpl-[0-9A-Za-z]{24}|cmpl-[0-9A-Za-z]{24}");
        return out;
    }

    private static String chunk(String delta, String finish, String usage) {
        return "{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"fake-model\","
                + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":"
                + (finish == null ? "null" : "\"" + finish + "\"") + "}]" + (usage == null ? "" : ",\"usage\":" + usage)
                + (finish == null ? "" : ",\"timings\":T") // the finish chunk carries the request's timings
                + "}";
    }

    @Test
    void streamedChatFollowsTheContractFrameByFrame() throws Exception {
        FakeEngine engine = new FakeEngine(4096, 2).script("Think", "ing.\n", "</think>", "\n\nHi", " there");
        String prompt = renderedHi();
        int promptTokens = prompt.length(); // FakeEngine's count of the prompt it is given
        try (TestServer server = TestServer.serving(engine, Duration.ofSeconds(30))) {
            Http.Response r = server.http().post("/v1/chat/completions",
                    HI + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Content-Type")).startsWith("text/event-stream");
            assertThat(normalized(r.dataFrames())).containsExactly(
                    chunk("{\"role\":\"assistant\"}", null, "null"),
                    chunk("{\"reasoning_content\":\"Think\"}", null, "null"),
                    chunk("{\"reasoning_content\":\"ing.\"}", null, "null"),
                    chunk("{\"content\":\"Hi\"}", null, "null"),
                    chunk("{\"content\":\" there\"}", null, "null"),
                    chunk("{}", "stop", "null"),
                    "{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"fake-model\","
                            + "\"choices\":[],\"usage\":{\"prompt_tokens\":" + promptTokens
                            + ",\"completion_tokens\":6,\"total_tokens\":" + (promptTokens + 6)
                            + ",\"completion_tokens_details\":{\"reasoning_tokens\":3}}}",
                    "[DONE]");
            // the count above is of exactly this prompt: the server passed on the rendered template, nothing else
            assertThat(engine.requests).extracting(GenerationRequest::prompt).containsExactly(prompt);
        }
    }

    @Test
    void withoutIncludeUsageThereIsNoUsageAnywhere() throws Exception {
        FakeEngine engine = new FakeEngine(4096, 2).script("a</think>b");
        try (TestServer server = TestServer.serving(engine, Duration.ofSeconds(30))) {
            Http.Response r = server.http().post("/v1/chat/completions", HI + ",\"stream\":true}");

            assertThat(normalized(r.dataFrames())).containsExactly(
                    chunk("{\"role\":\"assistant\"}", null, null),
                    chunk("{\"reasoning_content\":\"a\"}", null, null), // one step: reasoning first, then content
                    chunk("{\"content\":\"b\"}", null, null),
                    chunk("{}", "stop", null),
                    "[DONE]");
        }
    }

    @Test
    void nonStreamedChatIsTheFoldOfTheStream() {
        FakeEngine engine = new FakeEngine(4096, 2).script("Think", "ing.\n", "</think>", "\n\nHi", " there");
        try (TestServer server = TestServer.serving(engine, Duration.ofSeconds(30))) {
            JsonNode body = server.http().post("/v1/chat/completions", HI + "}").json();

            assertThat(body.get("object").asText()).isEqualTo("chat.completion");
            assertThat(body.get("id").asText()).startsWith("chatcmpl-");
            JsonNode choice = body.get("choices").get(0);
            assertThat(choice.get("message").get("role").asText()).isEqualTo("assistant");
            assertThat(choice.get("message").get("reasoning_content").asText()).isEqualTo("Thinking.");
            assertThat(choice.get("message").get("content").asText()).isEqualTo("Hi there");
            assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
            assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(6);
            JsonNode timings = body.get("timings");
            assertThat(timings.get("prompt_n").asInt()).isEqualTo(body.get("usage").get("prompt_tokens").asInt());
            assertThat(timings.get("predicted_n").asInt()).isEqualTo(6);
            for (String field : List.of("prompt_ms", "prompt_per_second", "predicted_ms", "predicted_per_second",
                    "queue_ms")) {
                assertThat(timings.get(field).asDouble()).as(field).isGreaterThanOrEqualTo(0);
            }
        }
    }

    @Test
    void streamedCompletionsUseTextCompletionChunks() throws Exception {
        FakeEngine engine = new FakeEngine(4096, 2).script(" world", "</think>x").withoutEos();
        try (TestServer server = TestServer.serving(engine, Duration.ofSeconds(30))) {
            Http.Response r = server.http().post("/v1/completions",
                    "{\"prompt\":\"hello\",\"max_tokens\":2,\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

            List<String> frames = normalized(r.dataFrames());
            String head = "{\"id\":\"ID\",\"object\":\"text_completion\",\"created\":0,\"model\":\"fake-model\",";
            assertThat(frames).containsExactly(
                    head + "\"choices\":[{\"text\":\" world\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}],"
                            + "\"usage\":null}",
                    head + "\"choices\":[{\"text\":\"</think>x\",\"index\":0,\"logprobs\":null,"
                            + "\"finish_reason\":null}],\"usage\":null}",
                    head + "\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"}],"
                            + "\"usage\":null,\"timings\":T}",
                    head + "\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7,"
                            + "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
                    "[DONE]");
        }
    }

    /** Reads a whole stream; the engine is released once a keep-alive has been seen (so one must come first). */
    private static List<String> readReleasingOnPing(HttpResponse<Stream<String>> response, CountDownLatch release) {
        List<String> lines = new ArrayList<>();
        Iterator<String> it = response.body().iterator();
        while (it.hasNext()) {
            String line = it.next();
            lines.add(line);
            if (line.equals(": ping")) {
                release.countDown();
            }
        }
        return lines;
    }

    @Test
    void eachPieceIsSentAsSoonAsItIsGenerated() throws Exception {
        // events are buffered and flushed once per engine step: the first piece must reach the client while the
        // engine is still working on the second
        CountDownLatch release = new CountDownLatch(1);
        FakeEngine engine = new FakeEngine(4096, 2).script("</think>first", " second").holdBeforePiece(1, release);
        try (TestServer server = TestServer.serving(engine, Duration.ofSeconds(30))) {
            HttpResponse<Stream<String>> response = server.http().postLines("/v1/chat/completions",
                    HI + ",\"stream\":true}");
            Iterator<String> lines = response.body().iterator();
            List<String> beforeRelease = new ArrayList<>();
            CompletableFuture<Void> firstPiece = CompletableFuture.runAsync(() -> {
                while (lines.hasNext()) {
                    String line = lines.next();
                    beforeRelease.add(line);
                    if (line.contains("\"content\":\"first\"")) {
                        return;
                    }
                }
            });
            firstPiece.get(20, TimeUnit.SECONDS); // never returns if the piece waits in a buffer
            assertThat(String.join("\n", beforeRelease)).contains("\"role\":\"assistant\"")
                    .doesNotContain("second");
            release.countDown();
            List<String> rest = new ArrayList<>();
            lines.forEachRemaining(rest::add);
            assertThat(String.join("\n", rest)).contains("\"content\":\" second\"").endsWith("data: [DONE]\n");
        }
    }

    @Test
    void keepAliveCommentsFlowWhileTheFirstTokenIsAwaited() {
        CountDownLatch release = new CountDownLatch(1);
        FakeEngine engine = new FakeEngine(4096, 2).script("</think>done").holdBeforeFirstPiece(release);
        try (TestServer server = TestServer.serving(engine, Duration.ofMillis(50))) {
            List<String> lines = readReleasingOnPing(server.http().postLines("/v1/chat/completions",
                    HI + ",\"stream\":true}"), release);
            assertThat(lines).contains(": ping");
            assertThat(lines.indexOf(": ping")).isLessThan(lines.indexOf("data: [DONE]"));
            assertThat(String.join("\n", lines)).contains("\"content\":\"done\"");
        }
    }

    @Test
    void aRequestQueuedBehindABusySlotGetsKeepAlivesThenItsAnswer() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeEngine engine = new FakeEngine(4096, 1).script("</think>done").holdBeforeFirstPiece(release);
        try (TestServer server = TestServer.serving(engine, Duration.ofMillis(50))) {
            // the first request takes the only slot and holds it until released
            Thread first = new Thread(() -> server.http().post("/v1/chat/completions", HI + "}"));
            first.start();
            assertThat(engine.started.tryAcquire(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            List<String> lines = readReleasingOnPing(server.http().postLines("/v1/chat/completions",
                    HI + ",\"stream\":true}"), release);
            first.join();
            assertThat(lines.get(0)).isEqualTo(": ping");
            assertThat(engine.generations.get()).isEqualTo(2);
            assertThat(lines).contains("data: [DONE]");
        }
    }

    @Test
    void anErrorAfterTheFirstTokenIsOneErrorFrameThenTheEnd() throws Exception {
        FakeEngine engine = new FakeEngine(4096, 2).script("one", "two", "three").failAfter(2);
        try (TestServer server = TestServer.serving(engine, Duration.ofSeconds(30))) {
            Http.Response r = server.http().post("/v1/chat/completions", HI + ",\"stream\":true}");

            assertThat(r.status()).isEqualTo(200);
            List<String> frames = r.dataFrames();
            assertThat(frames).doesNotContain("[DONE]");
            JsonNode error = JSON.readTree(frames.get(frames.size() - 1)).get("error");
            assertThat(error.get("message").asText()).contains("failed on purpose");
            assertThat(error.get("type").asText()).isEqualTo("server_error");
            assertThat(error.has("param")).isTrue();
            assertThat(error.has("code")).isTrue();
            // the server carries on
            engine.failAfter(-1);
            assertThat(server.http().post("/v1/chat/completions", HI + "}").status()).isEqualTo(200);
        }
    }

    @Test
    void whileLoadingEverythingIs503WithRetryAfterEvenForStreams() {
        ModelHost host = new ModelHost();
        try (TestServer server = TestServer.loading(host)) {
            for (Http.Response r : List.of(server.http().get("/health"), server.http().get("/v1/models"),
                    server.http().post("/v1/chat/completions", HI + ",\"stream\":true}"))) {
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.header("Retry-After")).isEqualTo("5");
                assertThat(r.header("Content-Type")).startsWith("application/json");
                assertThat(r.json().get("error").get("code").asText()).isEqualTo("model_loading");
            }
            JsonNode health = server.http().get("/health").json();
            assertThat(health.get("status").asText()).isEqualTo("loading");
            assertThat(health.get("reason").asText()).contains("loading");
            host.failed("out of memory");
            JsonNode failed = server.http().get("/health").json();
            assertThat(failed.get("status").asText()).isEqualTo("unavailable");
            assertThat(failed.get("reason").asText()).contains("out of memory");
        }
    }

    @Test
    void metricsCountWhatHappenedInPrometheusFormat() throws Exception {
        FakeEngine engine = new FakeEngine(4096, 2).script("Think", "</think>", "Hi");
        String prompt = renderedHi();
        try (TestServer server = TestServer.serving(engine, Duration.ofSeconds(30))) {
            server.http().post("/v1/chat/completions", HI + "}");
            server.http().post("/v1/chat/completions", HI + ",\"stream\":true}");
            server.http().post("/v1/chat/completions", "{");

            Http.Response metrics = server.http().get("/metrics");

            assertThat(metrics.status()).isEqualTo(200);
            assertThat(metrics.header("Content-Type")).startsWith("text/plain");
            assertThat(metrics.body())
                    .contains("gguf_completions_total{finish_reason=\"stop\",model=\"fake-model\"} 2.0")
                    .contains("gguf_tokens_generated_total{model=\"fake-model\"} 8.0")
                    .contains("gguf_tokens_reasoning_total{model=\"fake-model\"} 4.0")
                    .contains("gguf_tokens_prompt_total{model=\"fake-model\"} "
                            + (double) (2 * prompt.length())) // two answered
                    .contains("gguf_http_requests_total{endpoint=\"/v1/chat/completions\",method=\"POST\","
                            + "status=\"200\"} 2.0")
                    .contains("gguf_http_requests_total{endpoint=\"/v1/chat/completions\",method=\"POST\","
                            + "status=\"400\"} 1.0")
                    .contains("gguf_slots_capacity{model=\"fake-model\"} 2.0")
                    .contains("gguf_slots_busy{model=\"fake-model\"} 0.0")
                    .contains("gguf_queue_waiting{model=\"fake-model\"} 0.0")
                    .contains("gguf_time_to_first_token_seconds_count{model=\"fake-model\"} 2")
                    .contains("gguf_queue_wait_seconds_bucket")
                    .contains("jvm_memory_used_bytes");
            assertThat(engine.requests).extracting(GenerationRequest::prompt).containsExactly(prompt, prompt);
        }
    }

    @Test
    void unknownRoutesMethodsAndModelsAnswerInOpenAiShape() {
        try (TestServer server = TestServer.serving(new FakeEngine(4096, 1), Duration.ofSeconds(30))) {
            Http http = server.http();
            Http.Response notFound = http.get("/v1/nothing-here");
            assertThat(notFound.status()).isEqualTo(404);
            assertThat(notFound.json().get("error").get("message").asText()).contains("/v1/nothing-here");

            Http.Response wrongMethod = http.method("DELETE", "/v1/chat/completions");
            assertThat(wrongMethod.status()).isEqualTo(405);
            assertThat(wrongMethod.json().get("error").get("type").asText()).isEqualTo("invalid_request_error");

            Http.Response noModel = http.get("/v1/models/other");
            assertThat(noModel.status()).isEqualTo(404);
            assertThat(noModel.json().get("error").get("code").asText()).isEqualTo("model_not_found");

            JsonNode model = http.get("/v1/models/fake-model").json();
            assertThat(model.get("object").asText()).isEqualTo("model");
            assertThat(model.get("meta").get("context_length").asInt()).isEqualTo(4096);
            assertThat(http.get("/health").json().get("status").asText()).isEqualTo("ok");
        }
    }

    @Test
    void maxTokensIsClampedToTheRestOfTheContext() {
        // a context of 100 and a 10-character prompt (FakeEngine: 10 tokens) leave room for 90; the engine could go
        // on for 200 pieces, so only the clamp can end a generation at 90
        FakeEngine engine = new FakeEngine(100, 1).script(java.util.Collections.nCopies(200, "a")
                .toArray(String[]::new)).withoutEos();
        String prompt = "0123456789";
        try (TestServer server = TestServer.serving(engine, Duration.ofSeconds(30))) {
            JsonNode tooMany = server.http().post("/v1/completions",
                    "{\"prompt\":\"" + prompt + "\",\"max_tokens\":1000}").json();
            JsonNode noLimit = server.http().post("/v1/completions", "{\"prompt\":\"" + prompt + "\"}").json();
            JsonNode withinTheContext = server.http().post("/v1/completions",
                    "{\"prompt\":\"" + prompt + "\",\"max_tokens\":7}").json();

            // the HTTP layer passes the client's limit on; the engine clamps it to what the context leaves
            assertThat(engine.requests).extracting(req -> req.maxTokens())
                    .containsExactly(1000, GenerationRequest.UNTIL_CONTEXT_IS_FULL, 7);
            for (JsonNode clamped : List.of(tooMany, noLimit)) {
                assertThat(clamped.get("choices").get(0).get("text").asText()).as(clamped.toString())
                        .isEqualTo("a".repeat(90));
                assertThat(clamped.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
                assertThat(clamped.get("usage").get("prompt_tokens").asInt()).isEqualTo(prompt.length());
                assertThat(clamped.get("usage").get("completion_tokens").asInt()).isEqualTo(100 - prompt.length());
                assertThat(clamped.get("usage").get("total_tokens").asInt()).isEqualTo(100);
            }
            assertThat(withinTheContext.get("choices").get(0).get("text").asText()).isEqualTo("a".repeat(7));
            assertThat(withinTheContext.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
            assertThat(withinTheContext.get("usage").get("completion_tokens").asInt()).isEqualTo(7);
        }
    }
}
