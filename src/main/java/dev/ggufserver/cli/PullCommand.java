package dev.ggufserver.cli;

import dev.ggufserver.models.Downloader;
import dev.ggufserver.models.ModelReference;
import dev.ggufserver.server.StartupException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code gguf-server pull REF}: downloads a model into the models directory (like {@code ollama pull}). */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Downloads a model (hf:OWNER/REPO/FILE.gguf[@REVISION] or an http(s) URL) into the models "
                + "directory; without REF, the default DeepSeek-R1 model.")
final class PullCommand implements Callable<Integer> {
    @Mixin
    ModelOptions models;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REF", defaultValue = ModelReference.DEFAULT)
    String reference;

    @Override
    public Integer call() {
        try {
            ModelReference ref = ModelOptions.parse(reference);
            if (ref instanceof ModelReference.Local) {
                System.err.println("gguf-server: pull takes a URL or hf:OWNER/REPO/FILE.gguf, not a local path");
                return StartupException.USAGE;
            }
            Path file = models.resolve(ref);
            System.out.println(file);
            return 0;
        } catch (IllegalArgumentException | Downloader.DownloadException e) {
            System.err.println("gguf-server: " + e.getMessage());
            return StartupException.USAGE;
        } catch (IOException e) {
            System.err.println("gguf-server: cannot write to " + models.modelsDir + ": " + e.getMessage());
            return StartupException.USAGE;
        }
    }
}
