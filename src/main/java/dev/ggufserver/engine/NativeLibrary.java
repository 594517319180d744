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

    /** Built for a GPU backend (CUDA, Vulkan, Metal). */
    public boolean gpu() {
        return variant.equals("cuda") || variant.equals("vulkan") || variant.equals("metal");
    }

    /**
     * How many layers an engine on this library offloads for {@code --gpu-layers} ({@link #GPU_LAYERS_AUTO}: all on
     * a GPU library or one of unknown kind, whose CPU-only build keeps them on the CPU anyway; on a CPU library
     * llama.cpp's own default, which is none, except that the bundled macOS library offloads all to Metal).
     */
    public int gpuLayers(int requested) {
        if (requested != GPU_LAYERS_AUTO) {
            return requested;
        }
        return gpu() || variant.equals("unknown") ? ALL_LAYERS : LLAMA_CPP_DEFAULT;
    }

    /** {@code --gpu-layers auto}. */
    public static final int GPU_LAYERS_AUTO = -1;
    /** What an engine is given for llama.cpp's own default number of GPU layers. */
    public static final int LLAMA_CPP_DEFAULT = -1;
    /** More layers than any model has: llama.cpp then offloads every layer and the output. */
    public static final int ALL_LAYERS = 999;

    /** One line for the log: "cache library /…/libjllama.so (cpu, built for avx avx2 …)", long lists counted. */
    public String describe() {
        String built = cpuFeatures.isEmpty() ? "" : cpuFeatures.size() > 10
                ? ", built for " + cpuFeatures.size() + " CPU features" : ", built for " + String.join(" ", cpuFeatures);
        return source.wireName() + " library " + location + " (" + variant + built + ")";
    }
}
