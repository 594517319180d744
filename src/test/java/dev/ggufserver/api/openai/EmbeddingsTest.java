package dev.ggufserver.api.openai;

import static dev.ggufserver.api.openai.BadTools.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.ggufserver.engine.worker.WorkerEngine;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyBert;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * /v1/embeddings on the real engine: the tiny BERT (seeded random weights, mean pooling) in its own embedding-mode
 * engine process, beside the tiny chat model, behind one URL; with curl-like requests, LangChain4j's
 * OpenAiEmbeddingModel and the official OpenAI SDK as clients.
 */
class EmbeddingsTest {
    private static final String EMBEDDINGS = "/v1/embeddings";
    private static GgufServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        server = RealServers.chatAndEmbeddings();
        http = new Http(url());
    }

    private static String url() {
        return "http://127.0.0.1:" + server.port();
    }

    private static JsonNode embed(String input) {
        return embed(input, "");
    }

    private static JsonNode embed(String input, String extra) {
        Http.Response r = http.post(EMBEDDINGS, json("{'model':'tiny-bert','input':" + input + extra + "}"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private static float[] vector(JsonNode embedding) {
        float[] v = new float[embedding.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = embedding.get(i).floatValue();
        }
        return v;
    }

    private static float[] only(String input) {
        return vector(embed(input).at("/data/0/embedding"));
    }

    private static double norm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += x * x;
        }
        return Math.sqrt(sum);
    }

    private static int token(String text) {
        int id = TinyBert.tokens().indexOf(text);
        assertThat(id).as(text).isPositive();
        return id;
    }

    @Test
    void theSameInputGivesTheSameUnitVectorAndDifferentInputsDifferentOnes() {
        JsonNode r = embed("['hello world','hello world','the cat sat on the mat']");

        assertThat(r.get("object").asText()).isEqualTo("list");
        assertThat(r.get("model").asText()).isEqualTo("tiny-bert");
        assertThat(r.get("data")).hasSize(3);
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonNode item = r.get("data").get(i);
            assertThat(item.get("object").asText()).isEqualTo("embedding");
            assertThat(item.get("index").asInt()).isEqualTo(i);
            float[] v = vector(item.get("embedding"));
            assertThat(v).hasSize(TinyBert.DIMENSIONS);
            assertThat(norm(v)).isCloseTo(1.0, within(1e-5)); // mean pooling: llama.cpp normalises
            vectors.add(v);
        }
        assertThat(vectors.get(1)).isEqualTo(vectors.get(0));
        assertThat(vectors.get(2)).isNotEqualTo(vectors.get(0));
        // [CLS] hello world [SEP] twice, [CLS] + six words + [SEP]
        assertThat(r.at("/usage/prompt_tokens").asInt()).isEqualTo(4 + 4 + 8);
        assertThat(r.at("/usage/total_tokens").asInt()).isEqualTo(16);
        assertThat(only("'hello world'")).isEqualTo(vectors.get(0));
        assertThat(only("'world hello'")).as("position matters").isNotEqualTo(vectors.get(0));
    }

    @Test
    void aBatchKeepsItsOrderAndMatchesTheInputsEmbeddedAloneAlsoUnderConcurrentRequests() throws Exception {
        List<String> texts = List.of("dog", "cat sat", "hello", "vector embedding");
        List<float[]> alone = new ArrayList<>();
        for (String text : texts) {
            alone.add(only("'" + text + "'"));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<JsonNode>> batches = new ArrayList<>();
            for (int round = 0; round < 6; round++) {
                batches.add(pool.submit(() -> embed("['vector embedding','hello','cat sat','dog']")));
                batches.add(pool.submit(() -> http.post("/v1/chat/completions", json("{'model':'tiny-r1',"
                        + "'messages':[{'role':'user','content':'hi'}],'temperature':0}")).json()));
            }
            for (int i = 0; i < batches.size(); i += 2) {
                JsonNode batch = batches.get(i).get(60, TimeUnit.SECONDS);
                for (int j = 0; j < 4; j++) {
                    assertThat(batch.at("/data/" + j + "/index").asInt()).isEqualTo(j);
                    // inputs of concurrent requests share llama.cpp's batches, which sum in another order: the same
                    // vector to float rounding, not bit for bit
                    assertThat(vector(batch.at("/data/" + j + "/embedding"))).containsExactly(alone.get(3 - j),
                            within(1e-5f));
                }
                JsonNode chat = batches.get(i + 1).get(60, TimeUnit.SECONDS);
                assertThat(chat.at("/choices/0/message/content").asText()).isEqualTo(
                        dev.ggufserver.testmodel.TinyModel.ANSWER);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void base64DecodesToTheSameFloats() {
        float[] floats = only("'the cat sat on the mat'");
        JsonNode r = embed("'the cat sat on the mat'", ",'encoding_format':'base64'");

        String encoded = r.at("/data/0/embedding").asText();
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded)).order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(decoded);
        assertThat(decoded).isEqualTo(floats);
        assertThat(embed("'the cat sat on the mat'", ",'encoding_format':'float'").at("/data/0/embedding")
                .isArray()).isTrue();
    }

    @Test
    void tokenIdsEmbedAsTheTextTheySpellAndTheModelAddsItsOwnClsAndSep() {
        int hello = token("\u2581hello");
        int world = token("\u2581world");
        float[] text = only("'hello world'");

        assertThat(only("[" + hello + "," + world + "]")).isEqualTo(text);
        assertThat(only("[" + TinyBert.CLS + "," + hello + "," + world + "," + TinyBert.SEP + "]")).isEqualTo(text);
        JsonNode listed = embed("[[" + hello + "," + world + "],[" + world + "]]");
        assertThat(vector(listed.at("/data/0/embedding"))).isEqualTo(text);
        assertThat(vector(listed.at("/data/1/embedding"))).isEqualTo(only("'world'"));
        assertThat(listed.at("/usage/prompt_tokens").asInt()).isEqualTo(4 + 3);
    }

    @Test
    void specialTokenTextInAnInputIsPlainText() {
        // as text, [SEP] is the words "[", "sep" (three letter tokens) and "]": 5 tokens, plus CLS and SEP
        JsonNode r = embed("'[SEP]'");
        assertThat(r.at("/usage/prompt_tokens").asInt()).isEqualTo(7);
        assertThat(vector(r.at("/data/0/embedding"))).isEqualTo(only("'[ sep ]'"));
        assertThat(only("'hello [CLS][SEP] world'")).isEqualTo(only("'hello [ cls ] [ sep ] world'"));
    }

    @Test
    void dimensionsMayOnlyNameTheModelsOwn() {
        assertThat(vector(embed("'hello'", ",'dimensions':" + TinyBert.DIMENSIONS).at("/data/0/embedding")))
                .isEqualTo(only("'hello'"));

        Http.Response r = http.post(EMBEDDINGS, json("{'model':'tiny-bert','input':'hello','dimensions':16}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().at("/error/param").asText()).isEqualTo("dimensions");
        assertThat(r.json().at("/error/message").asText()).contains("32 dimensions");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{'model':'tiny-bert'}                                   | input",
        "{'model':'tiny-bert','input':null}                      | input",
        "{'model':'tiny-bert','input':''}                        | input",
        "{'model':'tiny-bert','input':[]}                        | input",
        "{'model':'tiny-bert','input':['a','']}                  | input[1]",
        "{'model':'tiny-bert','input':['a',1]}                   | input[1]",
        "{'model':'tiny-bert','input':[1,'a']}                   | input[1]",
        "{'model':'tiny-bert','input':[-1]}                      | input[0]",
        "{'model':'tiny-bert','input':[1.5]}                     | input[0]",
        "{'model':'tiny-bert','input':[[]]}                      | input[0]",
        "{'model':'tiny-bert','input':[[5],[]]}                  | input[1]",
        "{'model':'tiny-bert','input':[[5],[5,99999]]}           | input[1][1]",
        "{'model':'tiny-bert','input':[4294967296]}              | input[0]",
        "{'model':'tiny-bert','input':[5,99999]}                 | input[1]",
        "{'model':'tiny-bert','input':{'text':'a'}}              | input",
        "{'model':'tiny-bert','input':true}                      | input",
        "{'model':'tiny-bert','input':['a','b','c','d','e']}     | input",
        "{'model':'tiny-bert','input':'a','encoding_format':'hex'} | encoding_format",
        "{'model':'tiny-bert','input':'a','encoding_format':1}   | encoding_format",
        "{'model':'tiny-bert','input':'a','dimensions':0}        | dimensions",
        "{'model':'tiny-bert','input':'a','dimensions':'32'}     | dimensions",
        "{'model':'tiny-bert','input':'a','dimensions':32.5}     | dimensions",
        "{'model':'tiny-r1','input':'a'}                         | model",
        "{'input':'a'}                                           | model",
    })
    void badRequestsAre400sNamingTheFieldAndHarmNothing(String body, String param) {
        long pid = bertPid();

        Http.Response r = http.post(EMBEDDINGS, json(body));

        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.json().at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(r.json().at("/error/param").asText()).as(r.body()).isEqualTo(param);
        assertThat(r.json().at("/error/message").asText()).isNotBlank();
        assertThat(bertPid()).isEqualTo(pid);
        assertThat(only("'hello'")).hasSize(TinyBert.DIMENSIONS);
    }

    private static long bertPid() {
        return server.engines().stream().filter(e -> e.info().embeddings()).findFirst()
                .map(WorkerEngine::workerPid).orElseThrow().orElseThrow();
    }

    @Test
    void anInputLongerThanTheModelsContextIs400NamingItAndNothingIsEmbedded() {
        String longText = "hello ".repeat(TinyBert.CONTEXT); // 128 words + CLS + SEP
        Http.Response r = http.post(EMBEDDINGS, json("{'model':'tiny-bert','input':['hello','" + longText + "']}"));

        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.json().at("/error/param").asText()).isEqualTo("input[1]");
        assertThat(r.json().at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(r.json().at("/error/message").asText()).contains("130 tokens", "at most 128");
        Http.Response single = http.post(EMBEDDINGS, json("{'model':'tiny-bert','input':'" + longText + "'}"));
        assertThat(single.json().at("/error/param").asText()).isEqualTo("input");
        // the longest input that fits is embedded
        assertThat(embed("'" + "hello ".repeat(TinyBert.CONTEXT - 2) + "'").at("/usage/prompt_tokens").asInt())
                .isEqualTo(TinyBert.CONTEXT);
    }

    @Test
    void eachEndpointRefusesTheOtherKindOfModelByName() {
        Http.Response chat = http.post("/v1/chat/completions", json("{'model':'tiny-bert','messages':[{'role':"
                + "'user','content':'hi'}]}"));
        assertThat(chat.status()).isEqualTo(400);
        assertThat(chat.json().at("/error/code").asText()).isEqualTo("model_not_supported");
        assertThat(chat.json().at("/error/message").asText()).contains("embedding model", "/v1/embeddings");
        Http.Response text = http.post("/v1/completions", json("{'model':'tiny-bert','prompt':'hi'}"));
        assertThat(text.status()).isEqualTo(400);

        Http.Response embeddings = http.post(EMBEDDINGS, json("{'model':'tiny-r1','input':'hi'}"));
        assertThat(embeddings.json().at("/error/code").asText()).isEqualTo("model_not_supported");
        assertThat(embeddings.json().at("/error/message").asText()).contains("'tiny-bert'");
        Http.Response unknown = http.post(EMBEDDINGS, json("{'model':'text-embedding-3-small','input':'hi'}"));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().at("/error/code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void theModelListSaysWhichModelEmbedsAndHowWide() {
        JsonNode list = http.get("/v1/models").json();
        JsonNode bert = null;
        JsonNode chat = null;
        for (JsonNode model : list.get("data")) {
            if (model.get("id").asText().equals("tiny-bert")) {
                bert = model;
            } else if (model.get("id").asText().equals("tiny-r1")) {
                chat = model;
            }
        }
        assertThat(bert).isNotNull();
        assertThat(bert.at("/meta/capabilities").toString()).isEqualTo("[\"embeddings\"]");
        assertThat(bert.at("/meta/embedding_dimensions").asInt()).isEqualTo(TinyBert.DIMENSIONS);
        assertThat(bert.at("/meta/architecture").asText()).isEqualTo("bert");
        assertThat(bert.at("/meta/context_length").asInt()).isEqualTo(TinyBert.CONTEXT);
        assertThat(chat).isNotNull();
        assertThat(chat.at("/meta/capabilities").toString()).contains("chat").doesNotContain("embeddings");
        assertThat(chat.at("/meta/embedding_dimensions").isMissingNode()).isTrue();
    }

    @Test
    void langChain4jsOpenAiEmbeddingModelGetsTheSameVectors() {
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().baseUrl(url() + "/v1").apiKey("none")
                .modelName("tiny-bert").build();

        List<dev.langchain4j.data.embedding.Embedding> vectors = model.embedAll(List.of(
                TextSegment.from("hello world"), TextSegment.from("the cat sat on the mat"))).content();

        assertThat(vectors).hasSize(2);
        assertThat(vectors.get(0).vector()).isEqualTo(only("'hello world'"));
        assertThat(vectors.get(1).vector()).isEqualTo(only("'the cat sat on the mat'"));
        assertThat(model.dimension()).isEqualTo(TinyBert.DIMENSIONS);
    }

    @Test
    void theOfficialOpenAiSdkGetsTheSameVectorsAsFloatsAndAsBase64() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(url() + "/v1").apiKey("none").build();
        float[] expected = only("'the cat sat on the mat'");

        for (EmbeddingCreateParams.EncodingFormat format : List.of(EmbeddingCreateParams.EncodingFormat.FLOAT,
                EmbeddingCreateParams.EncodingFormat.BASE64)) {
            CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
                    .model("tiny-bert").input("the cat sat on the mat").encodingFormat(format).build());
            List<Float> got = response.data().get(0).embedding();
            float[] floats = new float[got.size()];
            for (int i = 0; i < floats.length; i++) {
                floats[i] = got.get(i);
            }
            assertThat(floats).as(format.toString()).isEqualTo(expected);
            assertThat(response.usage().promptTokens()).isEqualTo(8);
        }
    }
}
