package dev.ggufserver.nativelib;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ggufserver.engine.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which library the engine process loads: the cache's layout and keys, and every reason an entry is not used. */
class NativeLibrarySelectionTest {
    private static final Platform LINUX = new Platform(Platform.LINUX, "x86_64");
    private static final Set<String> ZEN3 = Set.of("avx", "avx2", "fma", "f16c", "bmi2", "pni", "ssse3", "vaes");
    private static final Set<String> SAPPHIRE_RAPIDS = CpuFeatures.parse(NativeCpuFeaturesTest.SAPPHIRE_RAPIDS);

    @TempDir
    Path dir;

    /** A library folder as `native build` leaves it: the library and its manifest. */
    private Path entry(String binding, String variant, Set<String> features, boolean verified, String builtAt)
            throws IOException {
        NativeCache cache = new NativeCache(dir);
        Path entry = cache.entry(binding, LINUX, variant, CpuFeatures.key(features));
        Files.createDirectories(entry);
        Path library = entry.resolve("libjllama.so");
        Files.writeString(library, "a library built for " + features, StandardCharsets.UTF_8);
        new Manifest(binding, BuildPins.PINNED.llamaCpp().commit(), variant, LINUX.os(), LINUX.arch(),
                List.copyOf(features), "libjllama.so", LibrarySelection.sha256(library), verified,
                verified ? "ok" : "the check process ended with exit code 139 (SIGSEGV)", null, builtAt,
                List.of("-DGGML_NATIVE=ON")).writeTo(entry);
        return entry;
    }

    private LibrarySelection choose(Set<String> cpu) {
        return LibrarySelection.choose(null, new NativeCache(dir), "4.2.0", LINUX, cpu);
    }

    @Test
    void theCacheIsLaidOutByBindingPlatformVariantAndFeatures() {
        NativeCache cache = new NativeCache(dir);
        assertThat(cache.entry("4.2.0", LINUX, "cpu", "0123456789ab"))
                .isEqualTo(dir.resolve("4.2.0/Linux-x86_64/cpu-0123456789ab"));
        assertThat(NativeCache.defaultRoot(java.util.Map.of("XDG_CACHE_HOME", "/var/cache/me")))
                .isEqualTo(Path.of("/var/cache/me/gguf-server/native"));
        assertThat(NativeCache.defaultRoot(java.util.Map.of()))
                .isEqualTo(Path.of(System.getProperty("user.home"), ".cache/gguf-server/native"));
    }

    @Test
    void anEmptyCacheMeansTheBundledLibrary() {
        LibrarySelection s = choose(ZEN3);
        assertThat(s.candidates()).hasSize(1);
        NativeLibrary bundled = s.preferred();
        assertThat(bundled.source()).isEqualTo(NativeLibrary.Source.BUNDLED);
        assertThat(bundled.location()).startsWith("jar:").endsWith("!/de/kherud/llama/Linux/x86_64/libjllama.so");
        assertThat(bundled.cpuFeatures()).contains("avx2").doesNotContain("avx512f");
        assertThat(s.forced()).isFalse();
        assertThat(LibrarySelection.choose(null, null, "4.2.0", LINUX, ZEN3).candidates()).hasSize(1);
    }

    @Test
    void aVerifiedLibraryForThisCpuAndBindingIsPreferredToTheBundledOne() throws IOException {
        Path entry = entry("4.2.0", "cpu", ZEN3, true, "2026-12-01T10:00:00Z");

        LibrarySelection s = choose(ZEN3);

        assertThat(s.preferred()).isEqualTo(new NativeLibrary(NativeLibrary.Source.CACHE,
                entry.resolve("libjllama.so").toString(), "cpu", List.copyOf(new java.util.TreeSet<>(ZEN3))));
        assertThat(s.bundled().source()).isEqualTo(NativeLibrary.Source.BUNDLED);
        assertThat(s.beforeBundled()).containsExactly(s.preferred());
        assertThat(s.rejected()).isEmpty();
    }

    @Test
    void aLibraryBuiltForFeaturesThisCpuLacksIsNeverChosen() throws IOException {
        Path entry = entry("4.2.0", "cpu", SAPPHIRE_RAPIDS, true, "2026-12-01T10:00:00Z");

        LibrarySelection s = choose(ZEN3);

        assertThat(s.preferred().bundled()).isTrue();
        assertThat(s.rejected()).singleElement().satisfies(r -> {
            assertThat(r.directory()).isEqualTo(entry);
            assertThat(r.reason()).startsWith("built for CPU features this CPU lacks: ").contains("avx512f")
                    .contains("avx512_vnni").doesNotContain(" avx2 ");
        });
        // on the machine it was built for, it is the choice
        assertThat(choose(SAPPHIRE_RAPIDS).preferred().source()).isEqualTo(NativeLibrary.Source.CACHE);
    }

    @Test
    void aLibraryFromAnotherBindingVersionIsNotUsed() throws IOException {
        entry("4.1.0", "cpu", ZEN3, true, "2026-12-01T10:00:00Z");
        Path mislabelled = entry("4.2.0", "cuda", ZEN3, true, "2026-12-01T10:00:00Z");
        Manifest m = Manifest.read(mislabelled.resolve(Manifest.FILE_NAME));
        new Manifest("4.3.0", m.llamaCppCommit(), m.variant(), m.os(), m.arch(), m.cpuFeatures(), m.library(),
                m.sha256(), true, "ok", null, m.builtAt(), m.cmakeOptions()).writeTo(mislabelled);

        LibrarySelection s = choose(ZEN3);

        assertThat(s.preferred().bundled()).isTrue();
        assertThat(s.rejected()).extracting(LibrarySelection.Rejected::reason).containsExactlyInAnyOrder(
                "built from binding 4.1.0; this server's binding is 4.2.0",
                "built from binding 4.3.0; this server's binding is 4.2.0");
    }

    @Test
    void anUnverifiedLibraryIsNotChosen() throws IOException {
        entry("4.2.0", "cpu", ZEN3, false, "2026-12-01T10:00:00Z");

        LibrarySelection s = choose(ZEN3);

        assertThat(s.preferred().bundled()).isTrue();
        assertThat(s.rejected()).singleElement().extracting(LibrarySelection.Rejected::reason)
                .isEqualTo("not verified: the check process ended with exit code 139 (SIGSEGV)");
    }

    @Test
    void aLibraryThatChangedSinceItWasVerifiedIsNotChosen() throws IOException {
        Path entry = entry("4.2.0", "cpu", ZEN3, true, "2026-12-01T10:00:00Z");
        Files.writeString(entry.resolve("libjllama.so"), "overwritten");
        Path gone = entry("4.2.0", "vulkan", ZEN3, true, "2026-12-01T10:00:00Z");
        Files.delete(gone.resolve("libjllama.so"));
        Path broken = new NativeCache(dir).entry("4.2.0", LINUX, "cpu", "ffffffffffff");
        Files.createDirectories(broken);
        Files.writeString(broken.resolve(Manifest.FILE_NAME), "{not json");

        LibrarySelection s = choose(ZEN3);

        assertThat(s.preferred().bundled()).isTrue();
        assertThat(s.rejected()).extracting(LibrarySelection.Rejected::reason).anyMatch(r -> r.equals(
                "its library changed since it was verified (SHA-256 differs)"))
                .anyMatch(r -> r.startsWith("its library ") && r.endsWith(" is missing"))
                .anyMatch(r -> r.startsWith("its manifest cannot be read"));
    }

    @Test
    void aGpuBuildComesFirstThenTheOneForMostFeaturesThenTheNewest() throws IOException {
        Set<String> fewer = Set.of("avx", "avx2");
        Path older = entry("4.2.0", "cpu", fewer, true, "2026-11-01T10:00:00Z");
        Path full = entry("4.2.0", "cpu", ZEN3, true, "2026-10-01T10:00:00Z");
        Path cuda = entry("4.2.0", "cuda", fewer, true, "2026-09-01T10:00:00Z");

        List<String> order = choose(ZEN3).candidates().stream().map(NativeLibrary::location).toList();

        assertThat(order).hasSize(4);
        assertThat(order.subList(0, 3)).containsExactly(cuda.resolve("libjllama.so").toString(),
                full.resolve("libjllama.so").toString(), older.resolve("libjllama.so").toString());
        assertThat(order.get(3)).startsWith("jar:");
    }

    @Test
    void nativeLibNamesOneLibraryAndNoOther(@TempDir Path other) throws IOException {
        entry("4.2.0", "cpu", ZEN3, true, "2026-12-01T10:00:00Z"); // not considered when one is named
        Path file = other.resolve("libjllama.so");
        Files.writeString(file, "a library of my own");

        for (String given : List.of(other.toString(), file.toString())) {
            LibrarySelection s = LibrarySelection.choose(given, new NativeCache(dir), "4.2.0", LINUX, ZEN3);
            assertThat(s.forced()).isTrue();
            assertThat(s.candidates()).containsExactly(new NativeLibrary(NativeLibrary.Source.OPTION,
                    file.toString(), "unknown", List.of()));
        }
        LibrarySelection bundled = LibrarySelection.choose("bundled", new NativeCache(dir), "4.2.0", LINUX, ZEN3);
        assertThat(bundled.forced()).isTrue();
        assertThat(bundled.candidates()).singleElement().satisfies(l -> assertThat(l.bundled()).isTrue());

        assertThatThrownBy(() -> LibrarySelection.choose(dir.resolve("nothing").toString(), null, "4.2.0", LINUX,
                ZEN3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> LibrarySelection.choose(dir.toString(), null, "4.2.0", LINUX, ZEN3))
                .hasMessage("--native-lib: no libjllama.so in " + dir);
        Path misnamed = other.resolve("libjllama-avx512.so");
        Files.writeString(misnamed, "x");
        assertThatThrownBy(() -> LibrarySelection.choose(misnamed.toString(), null, "4.2.0", LINUX, ZEN3))
                .hasMessageContaining("must be named libjllama.so");
    }

    @Test
    void theHintNamesWhatTheBundledLibraryLeavesUnusedAndTheCommand() throws IOException {
        String command = LibrarySelection.buildCommand(dir, java.util.Map.of());
        assertThat(command).isEqualTo("gguf-server native build --native-dir " + dir);

        assertThat(choose(SAPPHIRE_RAPIDS).hint(command)).hasValueSatisfying(hint -> assertThat(hint)
                .startsWith("This CPU has AVX-512, AVX512-VBMI, AVX512-VNNI, AVX512-BF16, AVX-VNNI, which the "
                        + "bundled native library does not use; `" + command + "` builds one"));
        assertThat(choose(ZEN3).hint(command)).isEmpty();
        entry("4.2.0", "cpu", SAPPHIRE_RAPIDS, true, "2026-12-01T10:00:00Z");
        assertThat(choose(SAPPHIRE_RAPIDS).hint(command)).isEmpty(); // built for this machine already
        assertThat(LibrarySelection.buildCommand(NativeCache.defaultRoot(java.util.Map.of()), java.util.Map.of()))
                .isEqualTo("gguf-server native build");
    }

    @Test
    void thePinnedBindingVersionIsTheBindingOnTheClasspath() throws IOException {
        Properties pom = new Properties();
        try (InputStream in = ClassLoader.getSystemResourceAsStream(
                "META-INF/maven/de.kherud/llama/pom.properties")) {
            assertThat(in).as("the binding's pom.properties").isNotNull();
            pom.load(in);
        }
        assertThat(pom.getProperty("version")).isEqualTo(BuildPins.BINDING_VERSION);
        assertThat(BuildPins.PINNED.binding().tag()).isEqualTo("v" + BuildPins.BINDING_VERSION);
    }
}
