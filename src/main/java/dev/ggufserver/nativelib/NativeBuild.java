package dev.ggufserver.nativelib;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code gguf-server native build}: builds the binding's native library for this machine from the binding's own
 * sources at the bundled version, with llama.cpp's {@code GGML_NATIVE} on (every instruction set of this CPU),
 * tries it in a throw-away engine process, and installs it in the cache where the server finds it.
 *
 * <p>The binding's CMakeLists.txt fetches llama.cpp and nlohmann/json itself (FetchContent names {@code llama.cpp}
 * and {@code json}); here they are fetched (or taken from local copies) first and handed over with
 * {@code FETCHCONTENT_SOURCE_DIR_*}, so every commit is checked and CMake needs no network. {@code OS_NAME} and
 * {@code OS_ARCH} are given, or CMake would run java on the binding's target/classes to learn them. The library
 * lands in the binding's tree ({@code src/main/resources[_linux_cuda]/de/kherud/llama/OS/ARCH/}), so the binding is
 * built from a copy in the workspace, never in a directory the user gave; llama.cpp too, because each copy gets
 * one change ({@link BindingPatch}, {@link LlamaCppPatch}).
 *
 * <p>Tools are found on the PATH of the environment given (so tests can give a fake {@code cmake}), and the
 * child processes get that environment.
 */
public final class NativeBuild {
    /** What to build for: the CPU alone, or a GPU backend as well. */
    public enum Variant {
        CPU("cpu", List.of()),
        CUDA("cuda", List.of("-DGGML_CUDA=ON")),
        VULKAN("vulkan", List.of("-DGGML_VULKAN=ON")),
        METAL("metal", List.of("-DGGML_METAL=ON", "-DGGML_METAL_EMBED_LIBRARY=ON"));

        private final String id;
        private final List<String> options;

        Variant(String id, List<String> options) {
            this.id = id;
            this.options = options;
        }

        public String id() {
            return id;
        }
    }

    /**
     * What to build.
     *
     * @param bindingSource  a local copy of the binding's sources, or null to fetch it (likewise the others)
     * @param jobs           parallel compile jobs
     * @param cudaArchitectures for CUDA, the GPU architectures to compile for ({@code 80;86;89}); null for the GPUs
     *                       of this machine (llama.cpp's "native", which needs one at build time: a container
     *                       build names them)
     */
    public record Request(Variant variant, Path bindingSource, Path llamaCppSource, Path jsonSource, int jobs,
                          String cudaArchitectures) {
        public Request(Variant variant, Path bindingSource, Path llamaCppSource, Path jsonSource, int jobs) {
            this(variant, bindingSource, llamaCppSource, jsonSource, jobs, null);
        }
    }

    /** A build that cannot go on: the message is for the user, the exit code 2 for what they must fix first. */
    public static final class BuildException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int exitCode;

        BuildException(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    /** The installed library and what its manifest says. */
    public record Result(Path library, Manifest manifest) {
    }

    private static final int STEPS = 5;
    private static final Pattern BUILT_TARGET = Pattern.compile("^\\[\\s*(\\d+)%\\] Built target (\\S+)");

    private final NativeCache cache;
    private final BuildPins pins;
    private final Map<String, String> environment;
    private final Platform platform;
    private final Set<String> cpuFeatures;
    private final PrintWriter out;
    private final Tools tools;

    public NativeBuild(NativeCache cache, BuildPins pins, Map<String, String> environment, Platform platform,
                       Set<String> cpuFeatures, PrintWriter out) {
        this.cache = cache;
        this.pins = pins;
        this.environment = Map.copyOf(environment);
        this.platform = platform;
        this.cpuFeatures = Set.copyOf(cpuFeatures);
        this.out = out;
        this.tools = new Tools(environment, platform);
    }

    public Result build(Request request) throws BuildException {
        Instant start = Instant.now();
        if (request.variant() == Variant.METAL && !platform.os().equals(Platform.MAC)) {
            throw new BuildException(2, "--metal builds for Apple GPUs, on macOS only; this is " + platform);
        }
        // git only for what is neither given nor fetched by an earlier build
        boolean fetching = (request.bindingSource() == null && !fetchedEarlier(pins.binding()))
                || (request.llamaCppSource() == null && !fetchedEarlier(pins.llamaCpp()))
                || (request.jsonSource() == null && !fetchedEarlier(pins.json()));
        step(1, "Checking the tools");
        Toolset toolset = checkTools(request.variant(), fetching);

        step(2, "Sources");
        Path binding = source(pins.binding(), request.bindingSource(), toolset);
        Path llama = source(pins.llamaCpp(), request.llamaCppSource(), toolset);
        Path json = source(pins.json(), request.jsonSource(), toolset);

        String featureKey = CpuFeatures.key(cpuFeatures);
        String variant = request.variant().id();
        Path workspace = cache.workspace(BuildPins.BINDING_VERSION, platform, variant, featureKey);
        Path log = workspace.resolve("build.log");
        Path tree = workspace.resolve("java-llama.cpp");
        Path llamaTree = workspace.resolve("llama.cpp");
        Path buildDir = workspace.resolve("build");
        try {
            LibraryCheck.deleteTree(workspace);
            Files.createDirectories(workspace);
            copySource(binding, tree, rel -> rel.startsWith("src/main/resources"));
            BindingPatch.apply(tree);
            copySource(llama, llamaTree, rel -> false);
            LlamaCppPatch.apply(llamaTree);
        } catch (IOException e) {
            throw new BuildException(1, "cannot prepare the build in " + workspace + ": " + e.getMessage());
        }

        List<String> options = new ArrayList<>(List.of("-DCMAKE_BUILD_TYPE=Release", "-DOS_NAME=" + platform.os(),
                "-DOS_ARCH=" + platform.arch(), "-DGGML_NATIVE=ON", "-DLLAMA_CURL=OFF",
                "-DFETCHCONTENT_FULLY_DISCONNECTED=ON", "-DFETCHCONTENT_SOURCE_DIR_LLAMA.CPP=" + llamaTree,
                "-DFETCHCONTENT_SOURCE_DIR_JSON=" + json));
        options.addAll(request.variant().options);
        toolset.cudaCompiler().ifPresent(nvcc -> options.add("-DCMAKE_CUDA_COMPILER=" + nvcc));
        if (request.variant() == Variant.CUDA && request.cudaArchitectures() != null) {
            options.add("-DCMAKE_CUDA_ARCHITECTURES=" + request.cudaArchitectures());
        }

        step(3, "Configuring with CMake (" + variant + ", GGML_NATIVE=ON); the full log is in " + log);
        List<String> configure = new ArrayList<>(List.of(toolset.cmake().toString(), "-S", tree.toString(), "-B",
                buildDir.toString()));
        configure.addAll(options);
        run(configure, log, "CMake could not configure the build");

        step(4, "Compiling llama.cpp and the binding with " + request.jobs() + " jobs (a few minutes)");
        run(List.of(toolset.cmake().toString(), "--build", buildDir.toString(), "--config", "Release", "--target",
                "jllama", "-j", String.valueOf(request.jobs())), log, "The compilation failed");
        Path built = builtLibrary(tree, request.variant());
        if (!Files.isRegularFile(built)) {
            throw new BuildException(1, "the build finished but left no " + platform.libraryFileName() + " at "
                    + built + "; see " + log);
        }

        step(5, "Trying the library in a separate engine process");
        Result result = install(built, variant, featureKey, options);
        Manifest m = result.manifest();
        if (!m.verified()) {
            throw new BuildException(1, "the library was built but does not work: " + m.verification()
                    + ". The server will not use it" + (result.library().startsWith(workspace)
                    ? "; it is kept at " + result.library() : " (" + result.library() + " is marked unverified)"));
        }
        LibraryCheck.deleteTree(workspace);
        out.println("Installed " + result.library() + " (" + variant + ", verified; built in "
                + minutes(Duration.between(start, Instant.now())) + ")");
        if (m.systemInfo() != null) {
            out.println("llama.cpp says it was compiled for: " + m.systemInfo());
        }
        out.println("The server uses it from its next start (`gguf-server native status` shows the choice).");
        return result;
    }

    // --- tools

    private record Toolset(Path cmake, Optional<Path> git, Optional<Path> cudaCompiler) {
    }

    private Toolset checkTools(Variant variant, boolean fetching) throws BuildException {
        List<String> missing = new ArrayList<>();
        Optional<Path> cmake = tools.find("cmake");
        if (cmake.isEmpty()) {
            missing.add("cmake (3.14 or newer): e.g. `sudo apt install cmake`, `sudo dnf install cmake`, "
                    + "`brew install cmake`, or https://cmake.org/download/");
        }
        // on Windows CMake's Visual Studio generator finds MSVC itself, wherever it is installed
        if (!platform.os().equals(Platform.WINDOWS)) {
            Optional<Path> cxx = tools.isSet("CXX") ? tools.named("CXX") : tools.find("c++", "g++", "clang++");
            Optional<Path> cc = tools.isSet("CC") ? tools.named("CC") : tools.find("cc", "gcc", "clang");
            if (cxx.isEmpty() || cc.isEmpty()) {
                missing.add("a C and C++ compiler (looked for " + (tools.isSet("CXX") ? "$CXX" : "c++, g++, clang++")
                        + " and " + (tools.isSet("CC") ? "$CC" : "cc, gcc, clang") + " on the PATH): e.g. `sudo apt "
                        + "install build-essential`, `sudo dnf install gcc-c++`, or `xcode-select --install` on macOS");
            }
        }
        Optional<Path> git = tools.find("git");
        if (fetching && git.isEmpty()) {
            missing.add("git, to fetch the sources: e.g. `sudo apt install git`; or give local copies with "
                    + "--binding-source, --llama-cpp-source and --json-source");
        }
        Optional<Path> nvcc = Optional.empty();
        if (variant == Variant.CUDA) {
            Optional<Path> onPath = tools.find("nvcc");
            nvcc = onPath.or(() -> tools.named("CUDACXX")).or(() -> tools.inHome("CUDA_HOME", "nvcc"))
                    .or(() -> tools.inHome("CUDA_PATH", "nvcc"));
            if (nvcc.isEmpty()) {
                missing.add("nvcc, the CUDA compiler (looked on the PATH, $CUDACXX, $CUDA_HOME/bin, $CUDA_PATH/bin): "
                        + "install the CUDA toolkit (https://developer.nvidia.com/cuda-downloads, or `sudo apt "
                        + "install nvidia-cuda-toolkit`) and put its bin directory on the PATH");
            } else if (onPath.isPresent()) {
                nvcc = Optional.empty(); // CMake finds it on the PATH itself
            }
        }
        if (variant == Variant.VULKAN && tools.find("glslc").or(() -> tools.inHome("VULKAN_SDK", "glslc"))
                .isEmpty()) {
            missing.add("glslc and the Vulkan headers (the Vulkan SDK): e.g. `sudo apt install glslc libvulkan-dev`,"
                    + " or https://vulkan.lunarg.com/sdk/home");
        }
        if (!missing.isEmpty()) {
            throw new BuildException(2, "cannot build the native library; missing:\n  - "
                    + String.join("\n  - ", missing));
        }
        out.println("      cmake " + cmake.get() + (git.isPresent() && fetching ? ", git " + git.get() : ""));
        return new Toolset(cmake.get(), git, nvcc);
    }

    // --- sources

    private Path source(BuildPins.Source pin, Path local, Toolset toolset) throws BuildException {
        String needed = pin.name() + " " + pin.tag() + " is commit " + pin.commit();
        if (local != null) {
            Path dir = local.toAbsolutePath().normalize();
            if (!Files.isDirectory(dir)) {
                throw new BuildException(2, pin.option() + ": " + local + " is not a directory");
            }
            String commit;
            try {
                commit = GitHead.commit(dir);
            } catch (IOException e) {
                throw new BuildException(2, pin.option() + ": " + e.getMessage() + "; " + needed
                        + " (git clone --branch " + pin.tag() + " " + pin.url() + ")");
            }
            if (!commit.equals(pin.commit())) {
                throw new BuildException(2, pin.option() + " " + local + " is at commit " + commit + ", but "
                        + needed + ": check it out there (git -C " + local + " checkout " + pin.tag()
                        + "), or leave " + pin.option() + " out to fetch it");
            }
            out.println("      " + pin.name() + " " + pin.tag() + " (" + pin.shortCommit() + ") from " + dir);
            return dir;
        }
        Path dir = fetchedDirectory(pin);
        if (fetchedEarlier(pin)) {
            out.println("      " + pin.name() + " " + pin.tag() + " (" + pin.shortCommit() + ") fetched earlier, in "
                    + dir);
            return dir;
        }
        LibraryCheck.deleteTree(dir); // a broken or outdated earlier fetch
        out.println("      " + pin.name() + " " + pin.tag() + ": fetching " + pin.url());
        Path log = cache.sources().resolve("fetch.log");
        try {
            Files.createDirectories(cache.sources());
        } catch (IOException e) {
            throw new BuildException(1, "cannot create " + cache.sources() + ": " + e.getMessage());
        }
        run(List.of(toolset.git().orElseThrow().toString(), "clone", "--quiet", "--depth", "1", "--branch",
                pin.tag(), pin.url(), dir.toString()), log, "git could not fetch " + pin.url()
                + " (without a network, give a local copy with " + pin.option() + ")");
        String commit;
        try {
            commit = GitHead.commit(dir);
        } catch (IOException e) {
            throw new BuildException(1, "the fetched " + pin.name() + " in " + dir + ": " + e.getMessage());
        }
        if (!commit.equals(pin.commit())) {
            LibraryCheck.deleteTree(dir);
            throw new BuildException(1, pin.url() + " gave commit " + commit + " for " + pin.tag() + ", but "
                    + needed + "; not building from it");
        }
        return dir;
    }

    private Path fetchedDirectory(BuildPins.Source pin) {
        return cache.sources().resolve(pin.name().replaceAll("[^A-Za-z0-9._-]", "-") + "-" + pin.tag());
    }

    private boolean fetchedEarlier(BuildPins.Source pin) {
        Path dir = fetchedDirectory(pin);
        try {
            return Files.isDirectory(dir) && GitHead.commit(dir).equals(pin.commit());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A source's files for the build to change and compile, without its history, an earlier build of its own
     * ({@code target}, {@code build}) or what {@code skip} names (a path relative to the source, with {@code /}).
     */
    private static void copySource(Path from, Path to, Predicate<String> skip) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path relative = from.relativize(p);
                String first = relative.getNameCount() == 0 ? "" : relative.getName(0).toString();
                String rel = relative.toString().replace('\\', '/');
                if (first.equals(".git") || first.equals("target") || first.equals("build") || skip.test(rel)) {
                    continue;
                }
                Path target = to.resolve(relative.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (Files.isRegularFile(p)) {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private Path builtLibrary(Path tree, Variant variant) {
        String resources = variant == Variant.CUDA ? "resources_linux_cuda" : "resources";
        return tree.resolve("src/main").resolve(resources).resolve("de/kherud/llama").resolve(platform.os())
                .resolve(platform.arch()).resolve(platform.libraryFileName());
    }

    // --- install

    private Result install(Path built, String variant, String featureKey, List<String> options)
            throws BuildException {
        Path entry = cache.entry(BuildPins.BINDING_VERSION, platform, variant, featureKey);
        Path staging = entry.resolveSibling(entry.getFileName() + ".new");
        try {
            LibraryCheck.deleteTree(staging);
            Files.createDirectories(staging);
            Path library = staging.resolve(platform.libraryFileName());
            Files.copy(built, library, StandardCopyOption.REPLACE_EXISTING);
            LibraryCheck.Result checked = LibraryCheck.check(library, environment);
            // said of the library, wherever it was tried (the staging folder goes)
            LibraryCheck.Result check = new LibraryCheck.Result(checked.verified(),
                    checked.message().replace(library.toString(), platform.libraryFileName()), checked.systemInfo());
            out.println("      " + (check.verified() ? "it loads and llama.cpp starts" : "it does not work: "
                    + check.message()));
            Manifest manifest = new Manifest(BuildPins.BINDING_VERSION, pins.llamaCpp().commit(), variant,
                    platform.os(), platform.arch(), List.copyOf(cpuFeatures), platform.libraryFileName(),
                    LibrarySelection.sha256(library), check.verified(), check.message(), check.systemInfo(),
                    Instant.now().toString(), options);
            manifest.writeTo(staging);
            if (!check.verified() && verifiedAt(entry)) { // a failed rebuild does not replace a library that works
                LibraryCheck.deleteTree(staging);
                return new Result(built, manifest);
            }
            LibraryCheck.deleteTree(entry);
            Files.createDirectories(entry.getParent());
            Files.move(staging, entry, StandardCopyOption.ATOMIC_MOVE);
            return new Result(entry.resolve(platform.libraryFileName()), manifest);
        } catch (IOException e) {
            throw new BuildException(1, "cannot install the library in " + entry + ": " + e.getMessage());
        }
    }

    private static boolean verifiedAt(Path entry) {
        try {
            return Manifest.read(entry.resolve(Manifest.FILE_NAME)).verified();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    // --- processes

    /** Runs a tool with our environment, its output appended to {@code log}; a failure ends the build. */
    private void run(List<String> command, Path log, String failure) throws BuildException {
        Deque<String> tail = new ArrayDeque<>();
        int code;
        try (BufferedWriter writer = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
            writer.write("$ " + String.join(" ", command) + "\n");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().clear();
            builder.environment().putAll(environment);
            Process process = builder.start();
            process.getOutputStream().close();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    writer.write(line + "\n");
                    tail.addLast(line);
                    if (tail.size() > 15) {
                        tail.removeFirst();
                    }
                    Matcher m = BUILT_TARGET.matcher(line);
                    if (m.find()) {
                        out.printf(Locale.ROOT, "      %3s%% built %s%n", m.group(1), m.group(2));
                        out.flush();
                    }
                }
            }
            code = process.waitFor();
        } catch (IOException e) {
            throw new BuildException(1, failure + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildException(1, "interrupted");
        }
        if (code != 0) {
            throw new BuildException(1, failure + " (exit code " + code + "). The last lines of " + log + ":\n    "
                    + String.join("\n    ", tail));
        }
    }

    private void step(int n, String what) {
        out.println("[" + n + "/" + STEPS + "] " + what);
        out.flush();
    }

    private static String minutes(Duration d) {
        long s = d.toSeconds();
        return s < 60 ? s + " s" : s / 60 + " min " + s % 60 + " s";
    }
}
