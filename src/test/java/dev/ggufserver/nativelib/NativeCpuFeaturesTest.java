package dev.ggufserver.nativelib;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a CPU offers, read from /proc/cpuinfo text, and the keys and comparisons built on it. */
class NativeCpuFeaturesTest {
    /** Two processors of a Sapphire Rapids guest (abridged), the second without AMX: only what both have counts. */
    static final String SAPPHIRE_RAPIDS = """
            processor	: 0
            vendor_id	: GenuineIntel
            model name	: Intel(R) Xeon(R) Platinum 8480+
            flags		: fpu vme sse sse2 ht syscall nx pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes \
            xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch bmi1 avx2 bmi2 avx512f avx512dq rdseed adx \
            avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl avx_vnni avx512_bf16 avx512vbmi \
            avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq amx_bf16 avx512_fp16 \
            amx_tile amx_int8 constant_tsc arch_perfmon
            bugs		: spectre_v1 spectre_v2

            processor	: 1
            vendor_id	: GenuineIntel
            flags		: fpu vme sse sse2 ht syscall nx pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes \
            xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch bmi1 avx2 bmi2 avx512f avx512dq rdseed adx \
            avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl avx_vnni avx512_bf16 avx512vbmi \
            avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq avx512_fp16 \
            constant_tsc arch_perfmon
            """;

    static final String GRAVITON3 = """
            processor	: 0
            BogoMIPS	: 2100.00
            Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt \
            fcma lrcpc dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm ssbs paca pacg dcpodp \
            svei8mm svebf16 i8mm bf16 dgh rng
            CPU implementer	: 0x41
            """;

    @Test
    void x86KeepsTheInstructionSetsEveryProcessorHasAndDropsTheRest() {
        Set<String> features = CpuFeatures.parse(SAPPHIRE_RAPIDS);

        assertThat(features).contains("avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx512_bf16",
                "avx_vnni", "avx512bw", "pni", "ssse3");
        assertThat(features).doesNotContain("hypervisor", "constant_tsc", "fpu", "ht", "nx", "arch_perfmon",
                "spectre_v1");
        // AMX is on the first processor only: a library built for it would fault on the second
        assertThat(features).doesNotContain("amx_tile", "amx_int8", "amx_bf16");
    }

    @Test
    void armKeepsItsWholeFeatureList() {
        assertThat(CpuFeatures.parse(GRAVITON3)).contains("asimd", "sve", "i8mm", "bf16", "asimddp")
                .hasSize(38);
    }

    @Test
    void otherSpellingsOfAFeatureAreTheKernels() {
        Set<String> features = CpuFeatures.parse("flags : avx avx2 avx512f avx512vnni avx512bf16 avxvnni\n");
        assertThat(features).containsExactly("avx", "avx2", "avx512_bf16", "avx512_vnni", "avx512f", "avx_vnni");
        assertThat(CpuFeatures.missing(List.of("avx512vnni", "amx_tile"), features)).containsExactly("amx_tile");
    }

    @Test
    void nothingReadableIsNothingKnown() {
        assertThat(CpuFeatures.parse("")).isEmpty();
        assertThat(CpuFeatures.parse("processor : 0\nmodel name : something\n")).isEmpty();
        assertThat(CpuFeatures.key(Set.of())).isEqualTo("unknown");
    }

    @Test
    void theKeyDependsOnTheSetNotItsOrder() {
        String key = CpuFeatures.key(List.of("avx2", "avx", "fma"));
        assertThat(key).matches("[0-9a-f]{12}").isEqualTo(CpuFeatures.key(List.of("fma", "avx", "avx2")));
        assertThat(CpuFeatures.key(List.of("avx2", "avx", "fma", "avx512f"))).isNotEqualTo(key);
    }

    @Test
    void whatTheBundledLibraryLeavesUnused() {
        Set<String> features = CpuFeatures.parse(SAPPHIRE_RAPIDS);
        assertThat(CpuFeatures.fasterThan(CpuFeatures.BUNDLED_LINUX_X86_64, features))
                .containsExactly("AVX-512", "AVX512-VBMI", "AVX512-VNNI", "AVX512-BF16", "AVX-VNNI");
        assertThat(CpuFeatures.fasterThan(CpuFeatures.BUNDLED_LINUX_X86_64,
                Set.of("avx", "avx2", "fma", "f16c", "bmi2"))).isEmpty();
        assertThat(CpuFeatures.fasterThan(features, features)).isEmpty();
    }

    @Test
    void thisMachinesFeaturesAreReadOnLinux() {
        Platform platform = Platform.current();
        assertThat(platform.os()).isEqualTo(Platform.LINUX); // the suite needs Linux (it reads /proc)
        assertThat(CpuFeatures.current(platform)).isNotEmpty();
        assertThat(CpuFeatures.current(new Platform(Platform.MAC, "aarch64"))).isEmpty();
    }

    @Test
    void platformsAreNamedAsTheBindingNamesThem() {
        assertThat(Platform.of("Linux", "amd64")).isEqualTo(new Platform("Linux", "x86_64"));
        assertThat(Platform.of("Mac OS X", "aarch64").bundledResource())
                .isEqualTo("de/kherud/llama/Mac/aarch64/libjllama.dylib");
        assertThat(Platform.of("Windows 11", "amd64").libraryFileName()).isEqualTo("jllama.dll");
        assertThat(Platform.of("Linux", "arm64").key()).isEqualTo("Linux-aarch64");
    }
}
