package dev.ggufserver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.nativelib.BuildPins;
import dev.ggufserver.nativelib.CpuFeatures;
import dev.ggufserver.nativelib.Manifest;
import dev.ggufserver.nativelib.NativeCache;
import dev.ggufserver.nativelib.Platform;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code gguf-server native status}: what the server would load, and the one command that would make it faster. */
class NativeStatusCommandTest {
    private static final Platform LINUX = new Platform(Platform.LINUX, "x86_64");
    private static final Set<String> AVX512 = Set.of("avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512bw",
            "avx512vl", "avx512_vnni", "avx512_bf16");
    private static final Set<String> AVX2 = Set.of("avx", "avx2", "fma", "f16c", "bmi2");

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private Run status(Set<String> cpu, String... args) {
        NativeCommand.Status command = new NativeCommand.Status();
        command.machine.environment = Map.of("HOME", dir.toString());
        command.machine.platform = LINUX;
        command.machine.cpuFeatures = cpu;
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 2];
        all[0] = "--native-dir";
        all[1] = dir.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return new Run(cli.execute(all), out.toString(), err.toString());
    }

    @Test
    void aCpuWithExtensionsTheBundledLibraryLacksGetsTheCommandThatBuildsOne() {
        Run run = status(AVX512);

        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("Platform:     Linux x86_64, binding 4.2.0 (llama.cpp b4916)",
                "CPU features: avx avx2 avx512_bf16 avx512_vnni avx512bw avx512f avx512vl bmi2 f16c fma",
                "Cache:        " + dir, "Loads:        bundled library jar:",
                "Faster:       This CPU has AVX-512, AVX512-VNNI, AVX512-BF16, which the bundled native library "
                        + "does not use; `gguf-server native build --native-dir " + dir + "` builds one");
        assertThat(status(AVX2).out()).doesNotContain("Faster");
    }

    @Test
    void aLibraryBuiltForThisMachineIsWhatLoadsAndTheBundledOneIsTheFallback() throws Exception {
        Path entry = new NativeCache(dir).entry(BuildPins.BINDING_VERSION, LINUX, "cpu", CpuFeatures.key(AVX512));
        Files.createDirectories(entry);
        byte[] library = "a library".getBytes();
        Files.write(entry.resolve("libjllama.so"), library);
        new Manifest("4.2.0", BuildPins.PINNED.llamaCpp().commit(), "cpu", "Linux", "x86_64", List.copyOf(AVX512),
                "libjllama.so", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(library)), true,
                "ok", "CPU : AVX512 = 1", "2026-12-01T10:00:00Z", List.of()).writeTo(entry);

        Run run = status(AVX512);
        assertThat(run.out()).contains("Loads:        cache library " + entry.resolve("libjllama.so")
                + " (cpu, built for avx avx2 avx512_bf16 avx512_vnni avx512bw avx512f avx512vl bmi2 f16c fma)",
                "  if that fails: bundled library jar:").doesNotContain("Faster");

        Run older = status(AVX2); // the same cache seen from a machine without AVX-512
        assertThat(older.out()).contains("Loads:        bundled library", "Not used:     " + entry
                + ": built for CPU features this CPU lacks: avx512_bf16 avx512_vnni avx512bw avx512f avx512vl");
    }

    @Test
    void nativeLibIsTheOnlyChoiceAndAMissingOneIsAnError() throws Exception {
        Path mine = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(mine.resolve("libjllama.so"), "x");

        Run run = status(AVX2, "--native-lib", mine.toString());
        assertThat(run.out()).contains("Loads:        option library " + mine.resolve("libjllama.so"),
                "(named with --native-lib: a failure to load it stops the server)").doesNotContain("if that fails");

        Run missing = status(AVX2, "--native-lib", dir.resolve("nothing").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("gguf-server: --native-lib: " + dir.resolve("nothing")
                + " does not exist\n");
    }
}
