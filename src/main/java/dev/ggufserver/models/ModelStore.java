package dev.ggufserver.models;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The models directory ({@code --models-dir}, default {@code models/}): downloaded models by file name, each with
 * a {@code NAME.gguf.sha256} beside it once verified, and {@code NAME.gguf.part} while a download is unfinished.
 */
public final class ModelStore {
    private final Path directory;

    public ModelStore(Path directory) {
        this.directory = directory;
    }

    public Path directory() {
        return directory;
    }

    /** Where the verified SHA-256 of a model is kept. */
    public static Path checksumFile(Path model) {
        return model.resolveSibling(model.getFileName() + ".sha256");
    }

    /** The SHA-256 recorded when the file was downloaded and verified, if any. */
    public static Optional<String> knownSha256(Path model) {
        try {
            Path sidecar = checksumFile(model);
            return Files.isRegularFile(sidecar)
                    ? Optional.of(Files.readString(sidecar, StandardCharsets.US_ASCII).trim()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The local file for a reference: a local path as it is; a remote model from the directory when it is already
     * there (no network at all), else downloaded.
     */
    public Path resolve(ModelReference reference, Downloader downloader, String expectedSha256,
                        Downloader.Progress progress) throws Downloader.DownloadException, IOException {
        if (reference instanceof ModelReference.Local local) {
            return local.path();
        }
        ModelReference.Remote remote = (ModelReference.Remote) reference;
        Path existing = directory.resolve(remote.fileName());
        if (Files.isRegularFile(existing)) {
            return existing;
        }
        return downloader.download(remote, directory, expectedSha256, progress);
    }

    /** One model file in the directory, read and validated by our own reader. */
    public record Entry(String name, Path path, long size, GgufFile gguf, String problem, String sha256) {
        public boolean valid() {
            return problem == null;
        }
    }

    public List<Entry> list() throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        List<Entry> entries = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".gguf"))
                    .sorted(Comparator.comparing(Path::getFileName)).toList()) {
                String name = file.getFileName().toString();
                long size = Files.size(file);
                String sha = knownSha256(file).orElse(null);
                try {
                    entries.add(new Entry(name, file, size, ModelValidator.validate(GgufReader.read(file)), null, sha));
                } catch (GgufFormatException e) {
                    entries.add(new Entry(name, file, size, null, e.getMessage(), sha));
                }
            }
        }
        return entries;
    }

    /**
     * Deletes a model (by file name, with or without .gguf) with its checksum and any unfinished download.
     *
     * @return false when there was no such model
     */
    public boolean remove(String name) throws IOException {
        String fileName = name.endsWith(".gguf") ? name : name + ".gguf";
        if (fileName.contains("/") || fileName.contains("\\") || fileName.startsWith(".")) {
            throw new IllegalArgumentException("'" + name + "' is not a model name");
        }
        Path file = directory.resolve(fileName);
        boolean existed = Files.deleteIfExists(file);
        Files.deleteIfExists(checksumFile(file));
        existed |= Files.deleteIfExists(directory.resolve(fileName + ".part"));
        return existed;
    }
}
