package dev.ggufserver.nativelib;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The instruction-set extensions of this machine's CPU, as Linux's /proc/cpuinfo names them. A library built with
 * {@code -DGGML_NATIVE=ON} may use any extension of the CPU it was built on, so it runs only where the CPU has all
 * of them: a library is chosen only when the features it was built for are a subset of these.
 *
 * <p>On x86 the "flags" line holds much besides instruction sets (virtualisation, timers, bugs), which would make
 * a library built on one machine useless on another of the same kind; only the extensions a compiler can emit
 * are kept. On ARM the "Features" line holds only instruction-set extensions, so all of them are kept. Elsewhere
 * (macOS, Windows) the set is empty: unknown, and only libraries that recorded no features match.
 */
public final class CpuFeatures {
    /** x86 extensions a compiler may emit with -march=native (gcc's -m options), in /proc/cpuinfo's names. */
    static final Set<String> X86_EXTENSIONS = Set.of(
            "sse", "sse2", "pni", "ssse3", "sse4_1", "sse4_2", "sse4a", "popcnt", "abm", "bmi1", "bmi2", "adx",
            "movbe", "cx16", "lahf_lm", "3dnowprefetch", "aes", "pclmulqdq", "sha_ni", "vaes", "vpclmulqdq", "gfni",
            "rdrand", "rdseed", "xsave", "xsaveopt", "xsavec", "clflushopt", "clwb", "fsgsbase", "movdiri",
            "movdir64b", "serialize", "avx", "avx2", "fma", "fma4", "xop", "f16c", "avx512f", "avx512dq",
            "avx512cd", "avx512bw", "avx512vl", "avx512ifma", "avx512vbmi", "avx512_vbmi2", "avx512_vnni",
            "avx512_bitalg", "avx512_vpopcntdq", "avx512_bf16", "avx512_fp16", "avx512er", "avx512pf",
            "avx512_4vnniw", "avx512_4fmaps", "avx_vnni", "avx_vnni_int8", "avx_ifma", "amx_tile", "amx_int8",
            "amx_bf16", "amx_fp16");

    /** Spellings that differ between kernels and tools, to the kernel's. */
    private static final Map<String, String> ALIASES = Map.of(
            "avx512vnni", "avx512_vnni", "avx512bf16", "avx512_bf16", "avxvnni", "avx_vnni",
            "avx512vbmi2", "avx512_vbmi2", "avx512fp16", "avx512_fp16", "sse3", "pni", "sse4.1", "sse4_1",
            "sse4.2", "sse4_2");

    /**
     * The extensions llama.cpp b4916 has kernels for that the bundled x86_64 library (built for SSE3, SSSE3, AVX,
     * AVX2, F16C, FMA and BMI2) does not use, with the names people know them by.
     */
    static final Map<String, String> FASTER_THAN_BUNDLED = new java.util.LinkedHashMap<>();

    static {
        FASTER_THAN_BUNDLED.put("avx512f", "AVX-512");
        FASTER_THAN_BUNDLED.put("avx512_vbmi", "AVX512-VBMI");
        FASTER_THAN_BUNDLED.put("avx512vbmi", "AVX512-VBMI");
        FASTER_THAN_BUNDLED.put("avx512_vnni", "AVX512-VNNI");
        FASTER_THAN_BUNDLED.put("avx512_bf16", "AVX512-BF16");
        FASTER_THAN_BUNDLED.put("avx_vnni", "AVX-VNNI");
        FASTER_THAN_BUNDLED.put("amx_tile", "AMX");
        FASTER_THAN_BUNDLED.put("amx_int8", "AMX-INT8");
        FASTER_THAN_BUNDLED.put("amx_bf16", "AMX-BF16");
    }

    /** What the bundled Linux x86_64 library of de.kherud:llama 4.2.0 is built for (its llama.cpp says so). */
    static final List<String> BUNDLED_LINUX_X86_64 = List.of("avx", "avx2", "bmi2", "f16c", "fma", "pni", "ssse3");

    private CpuFeatures() {
    }

    /** This machine's features: /proc/cpuinfo on Linux; empty (unknown) elsewhere or when it cannot be read. */
    public static SortedSet<String> current(Platform platform) {
        if (!platform.os().equals(Platform.LINUX)) {
            return new TreeSet<>();
        }
        try {
            return parse(Files.readString(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new TreeSet<>();
        }
    }

    /**
     * The extensions every processor in a /proc/cpuinfo text has (the intersection, so that a hybrid CPU's
     * smaller cores count): x86 "flags" lines filtered to {@link #X86_EXTENSIONS}, or ARM "Features" lines whole.
     */
    public static SortedSet<String> parse(String cpuinfo) {
        SortedSet<String> common = null;
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            boolean x86 = key.equals("flags");
            if (!x86 && !key.equals("features")) {
                continue;
            }
            SortedSet<String> features = new TreeSet<>();
            for (String token : line.substring(colon + 1).trim().split("\\s+")) {
                String name = normalize(token);
                if (!name.isEmpty() && (!x86 || X86_EXTENSIONS.contains(name))) {
                    features.add(name);
                }
            }
            if (common == null) {
                common = features;
            } else {
                common.retainAll(features);
            }
        }
        return common == null ? new TreeSet<>() : common;
    }

    static String normalize(String feature) {
        String lower = feature.trim().toLowerCase(Locale.ROOT);
        return ALIASES.getOrDefault(lower, lower);
    }

    /** The features in {@code needed} that {@code available} lacks, in order. */
    public static List<String> missing(Collection<String> needed, Set<String> available) {
        List<String> missing = new ArrayList<>();
        for (String f : new TreeSet<>(needed)) {
            if (!available.contains(normalize(f))) {
                missing.add(f);
            }
        }
        return missing;
    }

    /**
     * A short key for a feature set, part of a cache folder's name ({@code cpu-0f3a9c1b2d4e}): the same CPU kind
     * gives the same key; {@code unknown} when nothing is known.
     */
    public static String key(Collection<String> features) {
        if (features.isEmpty()) {
            return "unknown";
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(String.join(",", new TreeSet<>(features)).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The names people know of the extensions in {@code features} that {@code library} lacks and llama.cpp uses. */
    static List<String> fasterThan(Collection<String> library, Set<String> features) {
        Set<String> names = new java.util.LinkedHashSet<>();
        FASTER_THAN_BUNDLED.forEach((feature, name) -> {
            if (features.contains(feature) && !library.contains(feature)) {
                names.add(name);
            }
        });
        return List.copyOf(names);
    }
}
