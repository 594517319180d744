package dev.ggufserver.engine;

/**
 * What clients are told about the served model.
 *
 * @param id                  the model id clients see (the alias)
 * @param contextPerRequest   tokens of context each request gets (prompt plus completion)
 * @param parallel            requests generated together
 * @param architecture        e.g. qwen2
 * @param parameters          parameter count from the tensor directory
 * @param quantization        e.g. Q4_K_M
 * @param fileSizeBytes       size of the GGUF file
 * @param trainedContext      context length the model was trained with, 0 when unknown
 * @param hasChatTemplate     whether the file carries its own chat template
 * @param sha256              the file's SHA-256 when known (verified at download), else null
 * @param vocabularySize      tokens in the vocabulary (token ids are below it), 0 when unknown
 * @param embeddingDimensions for an embedding model, the length of its vectors; 0 for a model that generates
 */
public record ModelInfo(String id, int contextPerRequest, int parallel, String architecture, long parameters,
                        String quantization, long fileSizeBytes, long trainedContext, boolean hasChatTemplate,
                        String sha256, int vocabularySize, int embeddingDimensions) {
    /** A model that generates. */
    public ModelInfo(String id, int contextPerRequest, int parallel, String architecture, long parameters,
                     String quantization, long fileSizeBytes, long trainedContext, boolean hasChatTemplate,
                     String sha256, int vocabularySize) {
        this(id, contextPerRequest, parallel, architecture, parameters, quantization, fileSizeBytes, trainedContext,
                hasChatTemplate, sha256, vocabularySize, 0);
    }

    /** Without a known vocabulary size. */
    public ModelInfo(String id, int contextPerRequest, int parallel, String architecture, long parameters,
                     String quantization, long fileSizeBytes, long trainedContext, boolean hasChatTemplate,
                     String sha256) {
        this(id, contextPerRequest, parallel, architecture, parameters, quantization, fileSizeBytes, trainedContext,
                hasChatTemplate, sha256, 0);
    }

    /** Whether this is an embedding model: it serves /v1/embeddings and nothing that generates. */
    public boolean embeddings() {
        return embeddingDimensions > 0;
    }
}
