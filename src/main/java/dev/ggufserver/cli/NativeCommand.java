package dev.ggufserver.cli;

import dev.ggufserver.engine.NativeLibrary;
import dev.ggufserver.nativelib.BuildPins;
import dev.ggufserver.nativelib.CpuFeatures;
import dev.ggufserver.nativelib.LibrarySelection;
import dev.ggufserver.nativelib.NativeBuild;
import dev.ggufserver.nativelib.NativeCache;
import dev.ggufserver.nativelib.Platform;
import dev.ggufserver.server.StartupException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code gguf-server native build|status}: a native library built for this machine, and which one the server loads. */
@Command(name = "native", mixinStandardHelpOptions = true,
        subcommands = {NativeCommand.Build.class, NativeCommand.Status.class},
        description = "Builds the native library (llama.cpp) for this machine, or shows which one the server loads.")
final class NativeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return StartupException.USAGE;
    }

    /** The machine the command runs for; tests give others. */
    static final class Machine {
        Map<String, String> environment = System.getenv();
        Platform platform = Platform.current();
        /** Null: read from this machine. */
        Set<String> cpuFeatures;

        Set<String> features() {
            return cpuFeatures != null ? cpuFeatures : CpuFeatures.current(platform);
        }
    }

    @Command(name = "build", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Builds the binding's native library for this machine's CPU (llama.cpp with "
                    + "GGML_NATIVE=ON, from the sources of de.kherud:llama " + BuildPins.BINDING_VERSION
                    + "), checks it in a separate engine process, and installs it where the server finds it.",
                    "Needs cmake and a C/C++ compiler, and git unless every source is given as a local copy."})
    static final class Build implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        NativeOptions natives;

        static final class Gpu {
            @Option(names = "--cuda", description = "Also build llama.cpp's CUDA backend (needs the CUDA toolkit).")
            boolean cuda;

            @Option(names = "--vulkan", description = "Also build its Vulkan backend (needs the Vulkan SDK).")
            boolean vulkan;

            @Option(names = "--metal", description = "Also build its Metal backend (macOS).")
            boolean metal;
        }

        @ArgGroup(exclusive = true)
        Gpu gpu;

        @Option(names = "--binding-source", paramLabel = "DIR",
                description = "A local copy of kherud/java-llama.cpp at " + "v4.2.0 (default: fetched with git).")
        Path bindingSource;

        @Option(names = "--llama-cpp-source", paramLabel = "DIR",
                description = "A local copy of llama.cpp at b4916 (default: fetched with git).")
        Path llamaCppSource;

        @Option(names = "--json-source", paramLabel = "DIR",
                description = "A local copy of nlohmann/json at v3.11.3 (default: fetched with git).")
        Path jsonSource;

        @Option(names = "--jobs", paramLabel = "N", description = "Parallel compile jobs (default: all cores).")
        int jobs;

        @Option(names = "--cuda-architectures", paramLabel = "LIST",
                description = "With --cuda: the GPU architectures to compile for, e.g. 80;86;89;90 (default: the "
                        + "GPUs of this machine, which needs one at build time; a container build names them).")
        String cudaArchitectures;

        final Machine machine = new Machine();
        BuildPins pins = BuildPins.PINNED;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            NativeBuild.Variant variant = gpu == null ? NativeBuild.Variant.CPU : gpu.cuda ? NativeBuild.Variant.CUDA
                    : gpu.vulkan ? NativeBuild.Variant.VULKAN : gpu.metal ? NativeBuild.Variant.METAL
                    : NativeBuild.Variant.CPU;
            int jobCount = jobs > 0 ? jobs : Runtime.getRuntime().availableProcessors();
            if (cudaArchitectures != null && !cudaArchitectures.matches("[0-9]{2,3}[a-z]?(;[0-9]{2,3}[a-z]?)*")) {
                spec.commandLine().getErr().println("gguf-server: --cuda-architectures takes numbers such as "
                        + "80;86;89;90, not " + cudaArchitectures);
                return 2;
            }
            if (cudaArchitectures != null && (gpu == null || !gpu.cuda)) {
                spec.commandLine().getErr().println("gguf-server: --cuda-architectures goes with --cuda");
                return 2;
            }
            NativeBuild build = new NativeBuild(new NativeCache(natives.directory()), pins, machine.environment,
                    machine.platform, machine.features(), out);
            try {
                build.build(new NativeBuild.Request(variant, bindingSource, llamaCppSource, jsonSource, jobCount,
                        cudaArchitectures));
                return 0;
            } catch (NativeBuild.BuildException e) {
                out.flush();
                spec.commandLine().getErr().println("gguf-server: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return e.exitCode();
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Shows which native library the server would load, and whether a build would be faster.")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        NativeOptions natives;

        @Option(names = "--native-lib", paramLabel = "PATH", defaultValue = "${env:GGUF_SERVER_NATIVE_LIB}",
                description = NativeOptions.NATIVE_LIB_DESCRIPTION)
        String nativeLib;

        final Machine machine = new Machine();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Path directory = natives.directory();
            Set<String> features = machine.features();
            LibrarySelection selection;
            try {
                selection = LibrarySelection.choose(nativeLib != null ? nativeLib
                                : System.getProperty(LibrarySelection.LIB_PATH_PROPERTY),
                        new NativeCache(directory), BuildPins.BINDING_VERSION, machine.platform, features);
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("gguf-server: " + e.getMessage());
                return StartupException.USAGE;
            }
            out.println("Platform:     " + machine.platform + ", binding " + BuildPins.BINDING_VERSION
                    + " (llama.cpp b4916)");
            out.println("CPU features: " + (features.isEmpty() ? "unknown on this system"
                    : String.join(" ", new java.util.TreeSet<>(features))));
            out.println("Cache:        " + directory);
            out.println("Loads:        " + selection.preferred().describe());
            for (NativeLibrary next : selection.candidates().subList(1, selection.candidates().size())) {
                out.println("  if that fails: " + next.describe());
            }
            if (selection.forced()) {
                out.println("  (named with --native-lib: a failure to load it stops the server)");
            }
            for (LibrarySelection.Rejected r : selection.rejected()) {
                out.println("Not used:     " + r.directory() + ": " + r.reason());
            }
            selection.hint(LibrarySelection.buildCommand(directory, machine.environment))
                    .ifPresent(hint -> out.println("Faster:       " + hint));
            return 0;
        }
    }
}
