package dev.ggufserver.cli;

import dev.ggufserver.models.Downloader;
import dev.ggufserver.models.ModelReference;
import dev.ggufserver.models.ModelStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** Options shared by every command that finds or fetches models. */
final class ModelOptions {
    @Option(names = "--models-dir", paramLabel = "DIR", defaultValue = "${env:GGUF_SERVER_MODELS_DIR:-models}",
            description = "Where downloaded models are kept (default: ${DEFAULT-VALUE}).")
    Path modelsDir;

    @Option(names = "--model-sha256", paramLabel = "HEX", defaultValue = "${env:GGUF_SERVER_MODEL_SHA256}",
            description = "Expected SHA-256 of a downloaded model (Hugging Face publishes its own otherwise).")
    String sha256;

    @Option(names = "--max-model-bytes", paramLabel = "BYTES",
            defaultValue = "${env:GGUF_SERVER_MAX_MODEL_BYTES:-" + Downloader.DEFAULT_MAX_BYTES + "}",
            description = "Largest model a download may write, whatever the host announces "
                    + "(default: ${DEFAULT-VALUE}, 1 TiB).")
    long maxModelBytes;

    ModelStore store() {
        return new ModelStore(modelsDir);
    }

    /** HF_ENDPOINT, as huggingface_hub reads it (a mirror, or a local server in tests). */
    static URI huggingFaceEndpoint() {
        String endpoint = System.getenv("HF_ENDPOINT");
        return URI.create(endpoint == null || endpoint.isBlank() ? "https://huggingface.co" : endpoint);
    }

    static ModelReference parse(String reference) {
        return ModelReference.parse(reference, huggingFaceEndpoint());
    }

    /** The local file for a reference, downloading it first when needed (with progress on stderr). */
    Path resolve(ModelReference reference) throws Downloader.DownloadException, IOException {
        if (sha256 != null && !sha256.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("--model-sha256 must be 64 hexadecimal digits");
        }
        if (maxModelBytes < 1) {
            throw new IllegalArgumentException("--max-model-bytes must be at least 1, not " + maxModelBytes);
        }
        Downloader downloader = new Downloader(Downloader.Settings.defaults(System.getenv("HF_TOKEN"),
                Version.current()).withMaxBytes(maxModelBytes));
        return store().resolve(reference, downloader, sha256 == null ? null : sha256.toLowerCase(Locale.ROOT),
                TerminalProgress.onStderr());
    }
}
