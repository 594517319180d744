package dev.ggufserver.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ggufserver.engine.ContentSpan;
import dev.ggufserver.engine.Embedding;
import dev.ggufserver.engine.EmbeddingInput;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.Sampling;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerProtocolTest {

    private static GenerationRequest roundTrip(GenerationRequest request) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        WorkerProtocol.writeRequest(new DataOutputStream(bytes), request);
        return WorkerProtocol.readRequest(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    }

    @Test
    void aRequestArrivesAsItWasSentWithEveryField() throws IOException {
        String prompt = "<｜User｜>hi 👋 \\u0000 \"quoted\"<｜Assistant｜>";
        GenerationRequest full = new GenerationRequest(prompt, List.of(new ContentSpan(9, 20)), 77,
                new Sampling(0.5, 0.9, 40, 0.05, -5L, 0.1, -0.2, 1.1, true, Map.of(3, -100f, 7, 2.5f)));
        GenerationRequest bare = new GenerationRequest("x", GenerationRequest.UNTIL_CONTEXT_IS_FULL,
                Sampling.defaults());
        GenerationRequest continued = new GenerationRequest(prompt + "ab", List.of(new ContentSpan(9, 20)), 5,
                Sampling.greedy(), null, List.of(new ContentSpan(prompt.length(), prompt.length() + 1),
                new ContentSpan(prompt.length() + 1, prompt.length() + 2)));

        assertThat(roundTrip(full)).isEqualTo(full);
        assertThat(roundTrip(bare)).isEqualTo(bare);
        assertThat(roundTrip(continued)).isEqualTo(continued);
    }

    @Test
    void embeddingInputsAndVectorsArriveAsSent() throws IOException {
        List<EmbeddingInput> inputs = List.of(EmbeddingInput.ofText("héllo [SEP] 👋"),
                EmbeddingInput.ofTokens(new int[]{2, 5, 6, 3}));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        WorkerProtocol.writeInputs(new DataOutputStream(bytes), inputs);
        List<EmbeddingInput> read = WorkerProtocol.readInputs(
                new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(read.get(0).text()).isEqualTo("héllo [SEP] 👋");
        assertThat(read.get(0).tokens()).isNull();
        assertThat(read.get(1).tokens()).containsExactly(2, 5, 6, 3);

        List<Embedding> vectors = List.of(new Embedding(new float[]{0.5f, -1e-30f, Float.MIN_VALUE}, 4),
                new Embedding(new float[]{1, 2, 3}, 7));
        bytes.reset();
        WorkerProtocol.writeEmbeddings(new DataOutputStream(bytes), vectors);
        List<Embedding> back = WorkerProtocol.readEmbeddings(
                new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(back).hasSize(2);
        assertThat(back.get(0).vector()).containsExactly(0.5f, -1e-30f, Float.MIN_VALUE);
        assertThat(back.get(0).tokens()).isEqualTo(4);
        assertThat(back.get(1).vector()).containsExactly(1, 2, 3);
        assertThat(back.get(1).tokens()).isEqualTo(7);

        byte[] huge = {0x7f, 0, 0, 0, 0x7f, 0, 0, 0};
        assertThatThrownBy(() -> WorkerProtocol.readEmbeddings(new DataInputStream(new ByteArrayInputStream(huge))))
                .isInstanceOf(IOException.class);
    }

    @Test
    void aMalformedRequestIsAnIoErrorNotACrash() {
        byte[] json = "{\"prompt\":\"x\",\"contentSpans\":[{\"start\":5,\"end\":9}],\"maxTokens\":1}"
                .getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(json.length);
            out.write(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }

        assertThatThrownBy(() -> WorkerProtocol.readRequest(new DataInputStream(
                new ByteArrayInputStream(bytes.toByteArray())))).isInstanceOf(IOException.class);
    }
}
