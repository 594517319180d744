package dev.ggufserver.api.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.api.openai.request.EmbeddingRequest;
import dev.ggufserver.engine.Embedding;
import dev.ggufserver.engine.EmbeddingInput;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.InputTooLongException;
import dev.ggufserver.engine.ModelInfo;
import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.generation.ServedModel;
import io.javalin.http.Context;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * POST /v1/embeddings: OpenAI's request and response, served by embedding models (GGUFs whose architecture embeds,
 * loaded in llama.cpp's embedding mode in their own engine process). Every check that can fail is made before any
 * input is embedded, so a 400 names the field ({@code input[3]}, {@code input[0][7]}, {@code dimensions}).
 */
public final class EmbeddingsHandler {
    private final ModelHost host;
    private final RequestParser parser;
    private final int maxInputs;
    private final int maxChars;

    /**
     * @param maxInputs most inputs in one request (--max-embedding-inputs)
     * @param maxChars  most characters of text in one request, all inputs together (--max-prompt-chars)
     */
    public EmbeddingsHandler(ModelHost host, ObjectMapper mapper, int maxInputs, int maxChars) {
        this.host = host;
        this.parser = new RequestParser(mapper, 1, maxChars);
        this.maxInputs = maxInputs;
        this.maxChars = maxChars;
    }

    public void embeddings(Context ctx) {
        ModelsHandler.whileServing(host, () -> embed(ctx));
    }

    private void embed(Context ctx) {
        EmbeddingRequest request = parser.embeddings(ctx.bodyAsBytes());
        List<EmbeddingInput> inputs = inputs(request);
        boolean base64 = base64(request.encodingFormat());
        Integer dimensions = NumberChecks.integer(request.dimensions(), "dimensions", 1, Integer.MAX_VALUE);
        java.time.Duration keepAlive = RequestValidator.keepAlive(request.keepAlive());
        try (ModelHost.Lease lease = ModelsHandler.lease(host, request.model(), ModelsHandler.Use.EMBED)) {
            lease.keepAlive(keepAlive);
            ServedModel model = lease.model();
            ModelInfo info = model.info();
            if (dimensions != null && dimensions != info.embeddingDimensions()) {
                throw ApiException.invalid("dimensions", "The model '" + info.id() + "' makes vectors of "
                        + info.embeddingDimensions() + " dimensions and cannot make them shorter or longer; leave "
                        + "dimensions out, or ask for " + info.embeddingDimensions() + ".");
            }
            checkTokenIds(request, info.vocabularySize());
            ClientConnection connection = ClientConnection.of(ctx.req());
            List<Embedding> vectors;
            try {
                vectors = model.embed(inputs, () -> !connection.closed());
            } catch (InputTooLongException e) {
                throw ApiException.invalid(request.input().param(e.index()), "context_length_exceeded",
                        "Input " + e.index() + " has "
                        + e.tokens() + " tokens; the model '" + info.id() + "' reads at most " + e.limit()
                        + " tokens per input. Shorten it or split it.");
            } catch (EngineException e) {
                throw CompletionResponder.toApi(e, "input");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ApiException.unavailable("The server is shutting down.", "server_shutting_down",
                        ModelsHandler.RETRY_AFTER_SECONDS);
            } finally {
                connection.stopProbing();
            }
            if (vectors == null) {
                return; // the client left while queued: nobody to answer
            }
            ctx.json(response(vectors, info.id(), base64));
        }
    }

    private List<EmbeddingInput> inputs(EmbeddingRequest request) {
        if (request.input() == null) {
            throw ApiException.invalid("input", "input is required: a string, an array of strings, an array of "
                    + "token ids, or an array of arrays of token ids");
        }
        List<EmbeddingInput> inputs = request.input().inputs();
        if (inputs.size() > maxInputs) {
            throw ApiException.invalid("input", "input has " + inputs.size() + " items; this server embeds at "
                    + "most " + maxInputs + " per request (see --max-embedding-inputs)");
        }
        long chars = 0;
        for (EmbeddingInput input : inputs) {
            chars += input.text() != null ? input.text().length() : input.tokens().length;
        }
        if (chars > maxChars) {
            throw ApiException.invalid("input", "input has " + chars + " characters and tokens in all; this server "
                    + "accepts at most " + maxChars + " per request (see --max-prompt-chars)");
        }
        return inputs;
    }

    private static boolean base64(JsonNode format) {
        if (NumberChecks.absent(format) || format.isTextual() && format.asText().equals("float")) {
            return false;
        }
        if (format.isTextual() && format.asText().equals("base64")) {
            return true;
        }
        throw ApiException.invalid("encoding_format", "encoding_format must be \"float\" or \"base64\", not "
                + format);
    }

    /** Ids the model's vocabulary does not have never reach the engine (which would read past its tables). */
    private static void checkTokenIds(EmbeddingRequest request, int vocabularySize) {
        List<EmbeddingInput> inputs = request.input().inputs();
        for (int i = 0; i < inputs.size(); i++) {
            int[] tokens = inputs.get(i).tokens();
            if (tokens == null) {
                continue;
            }
            for (int j = 0; j < tokens.length; j++) {
                if (tokens[j] >= vocabularySize) {
                    String param = request.input().param(i) + "[" + j + "]";
                    throw ApiException.invalid(param, param + " is token " + tokens[j] + ", but the model's "
                            + "vocabulary has " + vocabularySize + " tokens (ids 0 to " + (vocabularySize - 1) + ")");
                }
            }
        }
    }

    private static OpenAiTypes.EmbeddingList response(List<Embedding> vectors, String model, boolean base64) {
        List<OpenAiTypes.Embedding> data = new ArrayList<>(vectors.size());
        int tokens = 0;
        for (int i = 0; i < vectors.size(); i++) {
            float[] vector = vectors.get(i).vector();
            tokens += vectors.get(i).tokens();
            data.add(new OpenAiTypes.Embedding(i, base64 ? base64Of(vector) : vector));
        }
        return new OpenAiTypes.EmbeddingList(data, model, new OpenAiTypes.EmbeddingUsage(tokens, tokens));
    }

    /** OpenAI's base64 form: the float32 values, little-endian, as numpy's {@code frombuffer} reads them. */
    static String base64Of(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(vector);
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
