package dev.ggufserver.nativelib;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The per-user cache of native libraries built for this machine:
 * {@code <dir>/<binding version>/<os>-<arch>/<variant>-<feature key>/} holds the library and its
 * {@link Manifest}; {@code <dir>/sources/} keeps fetched sources for the next build. The default directory is
 * {@code $XDG_CACHE_HOME/gguf-server/native} ({@code ~/.cache/gguf-server/native}); {@code --native-dir} or
 * {@code GGUF_SERVER_NATIVE_DIR} choose another, for the build, the status and the server alike.
 */
public final class NativeCache {
    private final Path root;

    public NativeCache(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** The default directory for this user, from the environment ({@code XDG_CACHE_HOME}, else the home's .cache). */
    public static Path defaultRoot(Map<String, String> environment) {
        String xdg = environment.get("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return cache.resolve("gguf-server").resolve("native");
    }

    /** The folder of one library. */
    public Path entry(String bindingVersion, Platform platform, String variant, String featureKey) {
        return root.resolve(bindingVersion).resolve(platform.key()).resolve(variant + "-" + featureKey);
    }

    /** Where fetched sources are kept between builds. */
    public Path sources() {
        return root.resolve("sources");
    }

    /** Where a build works (removed once it succeeded). */
    public Path workspace(String bindingVersion, Platform platform, String variant, String featureKey) {
        return root.resolve("build").resolve(bindingVersion + "-" + platform.key() + "-" + variant + "-"
                + featureKey);
    }

    private static boolean isEntry(Path relative) {
        String first = relative.getName(0).toString();
        return relative.getNameCount() == 4 && !first.equals("sources") && !first.equals("build");
    }

    /** Every library folder's manifest, whatever binding or platform it is for (sorted, for a stable report). */
    public List<Path> manifests() {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return found;
        }
        try (Stream<Path> files = Files.find(root, 4, (path, attributes) -> attributes.isRegularFile()
                && path.getFileName().toString().equals(Manifest.FILE_NAME) && isEntry(root.relativize(path)))) {
            files.sorted().forEach(found::add);
        } catch (IOException | java.io.UncheckedIOException e) {
            // an unreadable cache holds nothing we could use
        }
        return found;
    }
}
