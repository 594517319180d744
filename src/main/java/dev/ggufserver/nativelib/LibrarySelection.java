package dev.ggufserver.nativelib;

import dev.ggufserver.engine.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which native library the engine process loads, decided once when the server starts (and shown by
 * {@code gguf-server native status}):
 *
 * <ol>
 *   <li>{@code --native-lib PATH} (a directory holding the library, or the file itself), or the system property
 *       {@code de.kherud.llama.lib.path} as before: that library and no other ({@code bundled} names the
 *       bundled one);</li>
 *   <li>else every verified library in the cache built from the bundled binding's version, for this OS and
 *       architecture, for CPU features this CPU has all of, whose file still has the SHA-256 it was verified with;
 *       the best first: a GPU variant, then the one built for the most features, then the newest;</li>
 *   <li>then the bundled library.</li>
 * </ol>
 *
 * @param candidates the libraries to try in order, the bundled one last (only the forced one, when forced)
 * @param forced     whether the library was named ({@code --native-lib}): no fallback
 * @param rejected   cache entries not used, and why
 * @param cpuFeatures this machine's CPU features
 */
public record LibrarySelection(List<NativeLibrary> candidates, boolean forced, List<Rejected> rejected,
                               Platform platform, Set<String> cpuFeatures) {
    /** The value of {@code --native-lib} that names the bundled library. */
    public static final String BUNDLED = "bundled";
    /** The binding's own system property, which meant the same as {@code --native-lib DIR} before it existed. */
    public static final String LIB_PATH_PROPERTY = "de.kherud.llama.lib.path";

    /** A cache entry that is not used: its folder and the reason. */
    public record Rejected(Path directory, String reason) {
    }

    public LibrarySelection {
        candidates = List.copyOf(candidates);
        rejected = List.copyOf(rejected);
        cpuFeatures = Set.copyOf(cpuFeatures);
    }

    /** The first choice. */
    public NativeLibrary preferred() {
        return candidates.get(0);
    }

    /** The bundled library, last resort of an unforced choice. */
    public NativeLibrary bundled() {
        return candidates.get(candidates.size() - 1);
    }

    /** The choices before the bundled library (empty when the bundled one is the first choice). */
    public List<NativeLibrary> beforeBundled() {
        return candidates.subList(0, candidates.size() - 1);
    }

    /**
     * Chooses.
     *
     * @param nativeLib      {@code --native-lib}: null for none, {@value #BUNDLED}, or a directory or file
     * @param cache          the cache to look in; null for none (the bundled library unless one is named)
     * @param bindingVersion the version of the binding on the classpath: a library from other sources does not fit
     * @throws IllegalArgumentException when the named library does not exist
     */
    public static LibrarySelection choose(String nativeLib, NativeCache cache, String bindingVersion,
                                          Platform platform, Set<String> cpuFeatures) {
        NativeLibrary bundled = bundled(platform);
        if (nativeLib != null && !nativeLib.isBlank()) {
            NativeLibrary named = nativeLib.equals(BUNDLED) ? bundled : named(Path.of(nativeLib), platform);
            return new LibrarySelection(List.of(named), true, List.of(), platform, cpuFeatures);
        }
        List<Rejected> rejected = new ArrayList<>();
        List<Usable> usable = new ArrayList<>();
        if (cache != null) {
            for (Path manifestFile : cache.manifests()) {
                Path directory = manifestFile.getParent();
                try {
                    Manifest manifest = Manifest.read(manifestFile);
                    String reason = unusable(manifest, directory, bindingVersion, platform, cpuFeatures);
                    if (reason == null) {
                        usable.add(new Usable(manifest, new NativeLibrary(NativeLibrary.Source.CACHE,
                                directory.resolve(manifest.library()).toString(), manifest.variant(),
                                manifest.cpuFeatures())));
                    } else {
                        rejected.add(new Rejected(directory, reason));
                    }
                } catch (IOException | RuntimeException e) {
                    rejected.add(new Rejected(directory, "its manifest cannot be read: " + e.getMessage()));
                }
            }
        }
        usable.sort(Comparator.comparing((Usable u) -> u.manifest().variant().equals("cpu"))
                .thenComparing(u -> -u.manifest().cpuFeatures().size())
                .thenComparing(u -> u.manifest().builtAt() == null ? "" : u.manifest().builtAt(),
                        Comparator.reverseOrder()));
        List<NativeLibrary> candidates = new ArrayList<>();
        usable.forEach(u -> candidates.add(u.library()));
        candidates.add(bundled);
        return new LibrarySelection(candidates, false, rejected, platform, cpuFeatures);
    }

    private record Usable(Manifest manifest, NativeLibrary library) {
    }

    /** Why a cache entry does not fit this server and machine, or null when it does. */
    private static String unusable(Manifest m, Path directory, String bindingVersion, Platform platform,
                                   Set<String> cpuFeatures) throws IOException {
        if (!bindingVersion.equals(m.bindingVersion())) {
            return "built from binding " + m.bindingVersion() + "; this server's binding is " + bindingVersion;
        }
        if (!platform.os().equals(m.os()) || !platform.arch().equals(m.arch())) {
            return "built for " + m.os() + " " + m.arch() + ", not " + platform;
        }
        if (!m.verified()) {
            return "not verified" + (m.verification() == null ? "" : ": " + m.verification());
        }
        List<String> missing = CpuFeatures.missing(m.cpuFeatures(), cpuFeatures);
        if (!missing.isEmpty()) {
            return "built for CPU features this CPU lacks: " + String.join(" ", missing);
        }
        if (m.library() == null || !m.library().equals(platform.libraryFileName())) {
            return "its library is not named " + platform.libraryFileName();
        }
        Path file = directory.resolve(m.library());
        if (!Files.isRegularFile(file)) {
            return "its library " + file + " is missing";
        }
        if (!sha256(file).equalsIgnoreCase(String.valueOf(m.sha256()))) {
            return "its library changed since it was verified (SHA-256 differs)";
        }
        return null;
    }

    /** A library named with --native-lib: the file, or the library in the directory. */
    private static NativeLibrary named(Path path, Platform platform) {
        Path file = Files.isDirectory(path) ? path.resolve(platform.libraryFileName()) : path;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--native-lib: " + (Files.isDirectory(path) ? "no "
                    + platform.libraryFileName() + " in " + path : path + " does not exist"));
        }
        if (!file.getFileName().toString().equals(platform.libraryFileName())) {
            throw new IllegalArgumentException("--native-lib: the library must be named " + platform.libraryFileName()
                    + " (the binding loads that name from its directory), not " + file.getFileName());
        }
        file = file.toAbsolutePath().normalize();
        String variant = "unknown";
        List<String> features = List.of();
        Path manifestFile = file.resolveSibling(Manifest.FILE_NAME);
        if (Files.isRegularFile(manifestFile)) {
            try {
                Manifest m = Manifest.read(manifestFile);
                variant = m.variant();
                features = m.cpuFeatures();
            } catch (IOException | RuntimeException ignored) {
                // a library given by hand needs no manifest
            }
        }
        return new NativeLibrary(NativeLibrary.Source.OPTION, file.toString(), variant, features);
    }

    /** The binding's own library for this platform, described by where it lies in the jar. */
    static NativeLibrary bundled(Platform platform) {
        URL resource = ClassLoader.getSystemResource(platform.bundledResource());
        List<String> features = platform.key().equals("Linux-x86_64") ? CpuFeatures.BUNDLED_LINUX_X86_64 : List.of();
        return new NativeLibrary(NativeLibrary.Source.BUNDLED, resource == null ? "(none in the binding's jar for "
                + platform + ")" : resource.toString(), "cpu", features);
    }

    /**
     * The extensions this CPU has that the preferred library was not built for and llama.cpp would use (by the
     * names people know, "AVX-512", "AMX"); empty when the preferred library is one built for this machine, or
     * nothing is known of the library or the CPU.
     */
    public List<String> fasterWithABuild() {
        NativeLibrary preferred = preferred();
        if (preferred.cpuFeatures().isEmpty() || preferred.source() == NativeLibrary.Source.OPTION) {
            return List.of();
        }
        return CpuFeatures.fasterThan(preferred.cpuFeatures(), cpuFeatures);
    }

    /** The one line that says how to make it faster, when a build would: {@code command} is what to run. */
    public Optional<String> hint(String command) {
        List<String> faster = fasterWithABuild();
        if (faster.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("This CPU has " + String.join(", ", faster) + ", which the " + preferred().source()
                .wireName() + " native library does not use; `" + command + "` builds one for this machine (a few "
                + "minutes), and the server then uses it by itself.");
    }

    /** The command that builds a library into {@code directory}: {@code --native-dir} only when it is not the default. */
    public static String buildCommand(Path directory, Map<String, String> environment) {
        boolean usual = directory.toAbsolutePath().normalize()
                .equals(NativeCache.defaultRoot(environment).toAbsolutePath().normalize());
        return "gguf-server native build" + (usual ? "" : " --native-dir " + directory);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
