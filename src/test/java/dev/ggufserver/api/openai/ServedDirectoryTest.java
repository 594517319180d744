package dev.ggufserver.api.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.server.ServerConfig;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --serve-models-dir: every GGUF in the models directory is served by its file name, loaded on its first request,
 * and a file that arrives later (a pull while the server runs) is found when a request names it.
 */
class ServedDirectoryTest {
    private static final String CHAT = "/v1/chat/completions";

    private static Http.Response chat(Http http, String model) {
        return http.post(CHAT, "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    @Test
    void filesInTheDirectoryAreServedByNameOnDemandAndLaterOnesAreFound(@TempDir Path dir) throws Exception {
        TinyModel.write(dir, "alpha.gguf", TinyModel.officialTemplate());
        Files.writeString(dir.resolve("broken.gguf"), "not a model");
        ServerConfig config = ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 512, 1, 2, "tiny-r1")
                .withLoading(new ServerConfig.ModelLoading(1, null, dir));
        try (GgufServer server = GgufServer.start(config)) {
            Http http = new Http("http://127.0.0.1:" + server.port());
            JsonNode list = http.get("/v1/models").json().get("data");
            assertThat(list).extracting(m -> m.get("id").asText()).containsExactly("tiny-r1", "alpha");
            assertThat(list.get(1).at("/meta/status").asText()).isEqualTo("unloaded");

            Http.Response alpha = chat(http, "alpha");
            assertThat(alpha.status()).as(alpha.body()).isEqualTo(200);
            assertThat(alpha.json().get("model").asText()).isEqualTo("alpha");
            assertThat(alpha.json().at("/choices/0/message/content").asText()).isEqualTo(TinyModel.ANSWER);

            TinyModel.write(dir, "gamma.gguf", TinyModel.officialTemplate()); // pulled while the server runs
            Http.Response gamma = chat(http, "gamma");
            assertThat(gamma.status()).as(gamma.body()).isEqualTo(200);
            assertThat(gamma.json().get("model").asText()).isEqualTo("gamma");

            for (String missing : new String[]{"delta", "broken", "../alpha", "..", ".hidden"}) {
                Http.Response r = chat(http, missing);
                assertThat(r.status()).as(missing).isEqualTo(404);
                assertThat(r.json().at("/error/code").asText()).isEqualTo("model_not_found");
            }
            assertThat(http.get("/v1/models").json().get("data")).extracting(m -> m.get("id").asText())
                    .containsExactly("tiny-r1", "alpha", "gamma");
        }
    }
}
