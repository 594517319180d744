package dev.ggufserver.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The native library (llama.cpp through the binding) an engine process loads.
 *
 * @param source      where it comes from
 * @param location    the library file; for the bundled library, where it lies in the jar
 * @param variant     {@code cpu}, {@code cuda}, {@code vulkan} or {@code metal}; {@code unknown} for a library given
 *                    without a manifest
 * @param cpuFeatures the CPU features it was built for, as /proc/cpuinfo names them (empty when unknown)
 */
public record NativeLibrary(Source source, String location, String variant, List<String> cpuFeatures) {
    /** Where a library comes from. */
    public enum Source {
        /** The binding's own, inside its jar (the binding extracts it itself). */
        BUNDLED,
        /** Built for this machine by {@code gguf-server native build}, picked from the cache. */
        CACHE,
        /** Named with {@code --native-lib}. */
        OPTION;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public NativeLibrary {
        cpuFeatures = List.copyOf(cpuFeatures);
    }

    /** The file an engine process loads; empty for the bundled library. */
    public Optional<Path> file() {
        return source == Source.BUNDLED ? Optional.empty() : Optional.of(Path.of(location));
    }

    public boolean bundled() {
        return source == Source.BUNDLED;
    }

    /** One line for the log: "cache library /…/libjllama.so (cpu, built for avx avx2 …)", long lists counted. */
    public String describe() {
        String built = cpuFeatures.isEmpty() ? "" : cpuFeatures.size() > 10
                ? ", built for " + cpuFeatures.size() + " CPU features" : ", built for " + String.join(" ", cpuFeatures);
        return source.wireName() + " library " + location + " (" + variant + built + ")";
    }
}
