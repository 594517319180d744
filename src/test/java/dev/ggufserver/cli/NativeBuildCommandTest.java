package dev.ggufserver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.engine.NativeLibrary;
import dev.ggufserver.nativelib.BuildPins;
import dev.ggufserver.nativelib.LibrarySelection;
import dev.ggufserver.nativelib.Manifest;
import dev.ggufserver.nativelib.NativeCache;
import dev.ggufserver.nativelib.Platform;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code gguf-server native build} without compiling anything: the tools it finds on a PATH the test makes (a fake
 * cmake that records its arguments and, for the build step, leaves a library where the binding's CMakeLists.txt
 * puts it), sources as tiny git repositories at commits the test controls, and the verification in a real
 * throw-away engine process (a copy of the bundled library loads; garbage does not).
 */
class NativeBuildCommandTest {
    private static final Set<String> CPU = Set.of("avx", "avx2", "fma", "f16c");
    private static final Platform PLATFORM = Platform.current();

    /** The lines of the binding's jllama.cpp (v4.2.0) that wait for llama.cpp's results, which the build changes. */
    private static final String BINDING_WAITS = """
            #include "server.hpp"

            jobject receiveCompletion() {
                server_task_result_ptr result = ctx_server->queue_results.recv(id_task);
            }
            jfloatArray embed() {
                server_task_result_ptr result = ctx_server->queue_results.recv(id_task);
            }
            jobject rerank() {
                server_task_result_ptr result = ctx_server->queue_results.recv(task_ids);
            }
            """;

    /** Declarations as llama.cpp b4916's AMX kernels make them (ggml/src/ggml-cpu/amx/mmq.cpp), which the build aligns. */
    private static final String TILE_BUFFERS = """
            inline void ggml_tile_config_init(void) {
                static thread_local bool is_first_time = true;
                static thread_local tile_config_t tc;
            }
            template <typename TA, typename TB, typename TC, int BLOCK_K, int BLOCK_N>
            void tinygemm_kernel_amx(int M, int N, int KB, const void * RESTRICT _A) {
                static thread_local packed_B_t Tile0[TILE_N * TILE_K];
              static thread_local int32_t TileC0[TILE_M * TILE_N * 4];
            }
            """;
    private static final String TILE_BUFFERS_FILE = "ggml/src/ggml-cpu/amx/mmq.cpp";

    @TempDir
    Path tmp;
    private Path cacheDir;
    private Path cmakeLog;
    private Path product;
    private Path binding;
    private Path llama;
    private Path json;
    private BuildPins pins;

    @BeforeEach
    void sources() throws Exception {
        cacheDir = tmp.resolve("cache");
        cmakeLog = tmp.resolve("cmake-calls.txt");
        product = tmp.resolve("product.so");
        binding = repo("java-llama.cpp", "v4.2.0", Map.of("CMakeLists.txt", "project(jllama CXX)\n",
                "src/main/cpp/jllama.cpp", BINDING_WAITS, "src/main/resources/de/kherud/llama/stale.so", "old"));
        llama = repo("llama.cpp", "b4916", Map.of("CMakeLists.txt", "project(llama.cpp C CXX)\n", TILE_BUFFERS_FILE,
                TILE_BUFFERS));
        json = repo("json", "v3.11.3", Map.of("CMakeLists.txt", "project(nlohmann_json CXX)\n"));
        pins = new BuildPins(
                new BuildPins.Source("java-llama.cpp", "v4.2.0", head(binding), binding.toUri().toString(),
                        "--binding-source"),
                new BuildPins.Source("llama.cpp", "b4916", head(llama), llama.toUri().toString(), "--llama-cpp-source"),
                new BuildPins.Source("nlohmann/json", "v3.11.3", head(json), json.toUri().toString(), "--json-source"));
    }

    // --- the tools and repositories the test makes

    private static Path realGit() {
        for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
            Path git = Path.of(dir, "git");
            if (Files.isExecutable(git)) {
                return git;
            }
        }
        throw new IllegalStateException("these tests make git repositories: git must be installed");
    }

    private static String git(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(realGit().toString(), "-C", dir.toString(), "-c",
                "user.name=test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false", "-c",
                "tag.gpgsign=false"));
        command.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("git " + String.join(" ", args) + ": " + out).isZero();
        return out.trim();
    }

    private Path repo(String name, String tag, Map<String, String> files) throws Exception {
        Path dir = tmp.resolve("src").resolve(name);
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path file = dir.resolve(f.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, f.getValue());
        }
        git(dir.getParent(), "init", "-q", dir.toString());
        git(dir, "add", "-A");
        git(dir, "commit", "-q", "-m", "the pinned commit");
        git(dir, "tag", "-a", tag, "-m", tag);
        return dir;
    }

    private static String head(Path repo) throws Exception {
        return git(repo, "rev-parse", "HEAD");
    }

    private static void script(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A PATH directory holding only the named tools: fakes, except git (the real one). */
    private String path(String... tools) throws IOException {
        Path bin = Files.createTempDirectory(tmp, "bin");
        for (String tool : tools) {
            switch (tool) {
                case "git" -> Files.createSymbolicLink(bin.resolve("git"), realGit());
                case "cmake" -> script(bin.resolve("cmake"), """
                        #!/bin/sh
                        PATH=/usr/bin:/bin
                        printf '%s\\n' "$*" >> 'LOG'
                        if [ "$1" = "-S" ]; then
                          mkdir -p "$4" && printf '%s' "$2" > "$4/fake-source" && cp "$2/src/main/cpp/jllama.cpp" 'LOG.jllama.cpp'
                          for a in "$@"; do case "$a" in -DFETCHCONTENT_SOURCE_DIR_LLAMA.CPP=*)
                            llama="${a#*=}"; cp "$llama/MMQ" 'LOG.mmq.cpp'; [ -e "$llama/.git" ] && echo history > 'LOG.git';;
                          esac; done
                          exit 0
                        fi
                        if [ "$1" = "--build" ]; then
                          src=$(cat "$2/fake-source")
                          for r in resources resources_linux_cuda; do
                            d="$src/src/main/$r/de/kherud/llama/OS/ARCH"
                            mkdir -p "$d" && cp 'PRODUCT' "$d/LIBRARY"
                          done
                          echo "[ 50%] Built target ggml-cpu"
                          echo "[100%] Built target jllama"
                          exit 0
                        fi
                        exit 1
                        """.replace("LOG", cmakeLog.toString()).replace("PRODUCT", product.toString()).replace("MMQ", TILE_BUFFERS_FILE)
                        .replace("OS", PLATFORM.os()).replace("ARCH", PLATFORM.arch())
                        .replace("LIBRARY", PLATFORM.libraryFileName()));
                default -> script(bin.resolve(tool), "#!/bin/sh\nexit 0\n");
            }
        }
        return bin.toString();
    }

    private record Run(int code, String out, String err) {
    }

    private Run build(String path, String... args) {
        NativeCommand.Build command = new NativeCommand.Build();
        Map<String, String> env = new HashMap<>();
        env.put("PATH", path);
        env.put("HOME", tmp.resolve("home").toString());
        command.machine.environment = env;
        command.machine.cpuFeatures = CPU;
        command.pins = pins;
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of("--native-dir", cacheDir.toString(), "--jobs", "2"));
        all.addAll(Arrays.asList(args));
        int code = cli.execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    private String[] localSources(String... more) {
        List<String> args = new ArrayList<>(List.of("--binding-source", binding.toString(), "--llama-cpp-source",
                llama.toString(), "--json-source", json.toString()));
        args.addAll(Arrays.asList(more));
        return args.toArray(String[]::new);
    }

    private List<String> cmakeCalls() throws IOException {
        return Files.exists(cmakeLog) ? Files.readAllLines(cmakeLog) : List.of();
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
    }

    private static byte[] bundledLibrary() throws IOException {
        try (InputStream in = ClassLoader.getSystemResourceAsStream(PLATFORM.bundledResource())) {
            assertThat(in).isNotNull();
            return in.readAllBytes();
        }
    }

    private Path entry() {
        return new NativeCache(cacheDir).entry(BuildPins.BINDING_VERSION, PLATFORM, "cpu",
                dev.ggufserver.nativelib.CpuFeatures.key(CPU));
    }

    // --- the tests

    @Test
    void missingToolsAreNamedTogetherWithHowToInstallThemAndExitTwo() throws IOException {
        Run run = build(path());

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).startsWith("gguf-server: cannot build the native library; missing:")
                .contains("cmake (3.14 or newer): e.g. `sudo apt install cmake`")
                .contains("a C and C++ compiler (looked for c++, g++, clang++ and cc, gcc, clang on the PATH)")
                .contains("git, to fetch the sources").contains("--binding-source");
        assertThat(run.out()).startsWith("[1/5] Checking the tools");
        assertThat(cacheDir).doesNotExist();

        // with local copies, git is not needed; the compiler alone is still missing
        Run withSources = build(path("cmake"), localSources());
        assertThat(withSources.code()).isEqualTo(2);
        assertThat(withSources.err()).contains("C and C++ compiler").doesNotContain("git").doesNotContain("cmake (");
        assertThat(cmakeCalls()).isEmpty();
    }

    @Test
    void cudaNeedsNvcc() throws IOException {
        Run run = build(path("cmake", "cc", "c++"), localSources("--cuda"));

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("missing:\n  - nvcc, the CUDA compiler")
                .contains("install the CUDA toolkit").doesNotContain("cmake (");
        assertThat(cmakeCalls()).isEmpty();
    }

    @Test
    void aLocalCopyAtTheWrongCommitIsRefusedNamingWhatWasFoundAndWhatIsNeeded() throws Exception {
        String pinned = head(llama);
        Files.writeString(llama.resolve("later.txt"), "a later commit");
        git(llama, "add", "-A");
        git(llama, "commit", "-q", "-m", "later");
        String later = head(llama);

        Run run = build(path("cmake", "cc", "c++"), localSources());

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("gguf-server: --llama-cpp-source " + llama + " is at commit " + later
                + ", but llama.cpp b4916 is commit " + pinned + ": check it out there (git -C " + llama
                + " checkout b4916), or leave --llama-cpp-source out to fetch it\n");
        assertThat(cmakeCalls()).isEmpty();

        Path plain = tmp.resolve("not-a-checkout");
        Files.createDirectories(plain);
        Run notGit = build(path("cmake", "cc", "c++"), "--binding-source", binding.toString(), "--llama-cpp-source",
                llama.toString(), "--json-source", plain.toString());
        assertThat(notGit.code()).isEqualTo(2);
        assertThat(notGit.err()).contains("--llama-cpp-source " + llama + " is at commit"); // checked in order
        git(llama, "checkout", "-q", pinned);
        notGit = build(path("cmake", "cc", "c++"), "--binding-source", binding.toString(), "--llama-cpp-source",
                llama.toString(), "--json-source", plain.toString());
        assertThat(notGit.err()).contains("--json-source: " + plain + " is not a git checkout (it has no .git)")
                .contains("nlohmann/json v3.11.3 is commit " + head(json));
    }

    @Test
    void buildsFromLocalCopiesWithTheBindingsCMakeOptionsAndInstallsAVerifiedLibrary() throws Exception {
        write(product, bundledLibrary()); // what the real compile would leave: a library that loads

        Run run = build(path("cmake", "cc", "c++"), localSources());

        assertThat(run.code()).as(run.err()).isZero();
        Path workspace = new NativeCache(cacheDir).workspace(BuildPins.BINDING_VERSION, PLATFORM, "cpu",
                dev.ggufserver.nativelib.CpuFeatures.key(CPU));
        List<String> calls = cmakeCalls();
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0).split(" ")).containsExactly("-S", workspace.resolve("java-llama.cpp").toString(),
                "-B", workspace.resolve("build").toString(), "-DCMAKE_BUILD_TYPE=Release",
                "-DOS_NAME=" + PLATFORM.os(), "-DOS_ARCH=" + PLATFORM.arch(), "-DGGML_NATIVE=ON", "-DLLAMA_CURL=OFF",
                "-DFETCHCONTENT_FULLY_DISCONNECTED=ON",
                "-DFETCHCONTENT_SOURCE_DIR_LLAMA.CPP=" + workspace.resolve("llama.cpp"),
                "-DFETCHCONTENT_SOURCE_DIR_JSON=" + json);
        assertThat(calls.get(1)).isEqualTo("--build " + workspace.resolve("build")
                + " --config Release --target jllama -j 2");
        // CMake got a copy whose every wait for a result sleeps; the user's copy is untouched
        String compiled = Files.readString(Path.of(cmakeLog + ".jllama.cpp"));
        assertThat(compiled).doesNotContain("queue_results.recv(")
                .contains("results.recv_with_timeout(id_tasks, 1)")
                .contains("gguf_server_wait_for_result(ctx_server->queue_results, {id_task})")
                .contains("gguf_server_wait_for_result(ctx_server->queue_results, task_ids)");
        assertThat(compiled.indexOf("static server_task_result_ptr gguf_server_wait_for_result"))
                .isGreaterThan(compiled.indexOf("#include \"server.hpp\"")) // after what it uses is declared
                .isLessThan(compiled.indexOf("receiveCompletion"));
        assertThat(Files.readString(binding.resolve("src/main/cpp/jllama.cpp"))).isEqualTo(BINDING_WAITS);
        // and a copy of llama.cpp whose AMX tile buffers are cache-line aligned in every thread; the user's untouched
        assertThat(Files.readString(Path.of(cmakeLog + ".mmq.cpp"))).isEqualTo(TILE_BUFFERS
                .replace("static thread_local", "alignas(64) static thread_local"));
        assertThat(Files.readString(llama.resolve(TILE_BUFFERS_FILE))).isEqualTo(TILE_BUFFERS);
        assertThat(Path.of(cmakeLog + ".git")).doesNotExist(); // the copy leaves the history behind
        assertThat(run.out()).contains("[1/5] Checking the tools", "[2/5] Sources",
                "java-llama.cpp v4.2.0 (" + head(binding).substring(0, 8) + ") from " + binding,
                "[3/5] Configuring with CMake (cpu, GGML_NATIVE=ON)", "[4/5] Compiling", " 50% built ggml-cpu",
                "100% built jllama", "[5/5] Trying the library in a separate engine process",
                "it loads and llama.cpp starts", "Installed " + entry().resolve(PLATFORM.libraryFileName()),
                "llama.cpp says it was compiled for: CPU : SSE3 = 1", "AVX2 = 1");

        Manifest manifest = Manifest.read(entry().resolve(Manifest.FILE_NAME));
        assertThat(manifest.verified()).isTrue();
        assertThat(manifest.bindingVersion()).isEqualTo("4.2.0");
        assertThat(manifest.variant()).isEqualTo("cpu");
        assertThat(manifest.cpuFeatures()).containsExactly("avx", "avx2", "f16c", "fma");
        assertThat(manifest.llamaCppCommit()).isEqualTo(head(llama));
        assertThat(manifest.systemInfo()).startsWith("CPU : SSE3 = 1").contains("AVX2 = 1");
        assertThat(manifest.cmakeOptions()).contains("-DGGML_NATIVE=ON");
        assertThat(Files.readAllBytes(entry().resolve(PLATFORM.libraryFileName()))).isEqualTo(bundledLibrary());
        assertThat(workspace).doesNotExist(); // removed once installed
        assertThat(binding.resolve("src/main/resources/de/kherud/llama/" + PLATFORM.os())).doesNotExist();

        LibrarySelection chosen = LibrarySelection.choose(null, new NativeCache(cacheDir), BuildPins.BINDING_VERSION,
                PLATFORM, Set.of("avx", "avx2", "fma", "f16c", "bmi2"));
        assertThat(chosen.preferred().source()).isEqualTo(NativeLibrary.Source.CACHE);
        assertThat(chosen.preferred().location()).isEqualTo(entry().resolve(PLATFORM.libraryFileName()).toString());
    }

    @Test
    void aBindingWhoseResultWaitsAreNotTheKnownOnesIsNotBuilt() throws Exception {
        Path other = repo("other-binding", "v4.2.0", Map.of("CMakeLists.txt", "project(jllama CXX)\n",
                "src/main/cpp/jllama.cpp", BINDING_WAITS + "void later() { queue_results.recv(ids_of_some_kind); }\n"));
        pins = new BuildPins(new BuildPins.Source("java-llama.cpp", "v4.2.0", head(other), other.toUri().toString(),
                "--binding-source"), pins.llamaCpp(), pins.json());

        Run run = build(path("cmake", "cc", "c++"), "--binding-source", other.toString(), "--llama-cpp-source",
                llama.toString(), "--json-source", json.toString());

        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("jllama.cpp waits for results in a way this build does not know")
                .contains("queue_results.recv(ids_of_some_kind)");
        assertThat(cmakeCalls()).isEmpty(); // refused before CMake runs
    }

    @Test
    void aLlamaCppWhoseTileBuffersAreNotTheKnownOnesIsNotBuilt() throws Exception {
        Path withOther = repo("llama-other", "b4916", Map.of("CMakeLists.txt", "project(llama.cpp C CXX)\n",
                TILE_BUFFERS_FILE, TILE_BUFFERS + "thread_local static int8_t Later[64];\n"));
        Path without = repo("llama-without", "b4916", Map.of("CMakeLists.txt", "project(llama.cpp C CXX)\n"));
        for (Path other : List.of(withOther, without)) {
            pins = new BuildPins(pins.binding(), new BuildPins.Source("llama.cpp", "b4916", head(other),
                    other.toUri().toString(), "--llama-cpp-source"), pins.json());

            Run run = build(path("cmake", "cc", "c++"), "--binding-source", binding.toString(), "--llama-cpp-source",
                    other.toString(), "--json-source", json.toString());

            assertThat(run.code()).isEqualTo(1);
            assertThat(run.err()).contains(other == without ? "llama.cpp has no " + TILE_BUFFERS_FILE
                    : "declares thread-local data in a way this build does not know: thread_local static int8_t Later");
            assertThat(cmakeCalls()).isEmpty(); // refused before CMake runs
        }
    }

    @Test
    void fetchesTheSourcesWithGitAndRefusesALibraryThatDoesNotLoad() throws Exception {
        write(product, "garbage, not a shared object. ".repeat(200).getBytes(StandardCharsets.UTF_8));

        Run run = build(path("cmake", "cc", "c++", "git"));

        assertThat(run.code()).isEqualTo(1);
        Path sources = new NativeCache(cacheDir).sources();
        assertThat(run.out()).contains("llama.cpp b4916: fetching " + llama.toUri());
        assertThat(cmakeCalls().get(0)).contains("-DFETCHCONTENT_SOURCE_DIR_JSON=" + sources.resolve(
                "nlohmann-json-v3.11.3"));
        assertThat(Files.readString(Path.of(cmakeLog + ".mmq.cpp"))).contains("alignas(64) static thread_local");
        assertThat(git(sources.resolve("llama.cpp-b4916"), "rev-parse", "HEAD")).isEqualTo(head(llama));
        assertThat(run.err()).isEqualTo("gguf-server: the library was built but does not work: the native "
                + "library libjllama.so does not load: invalid ELF header. The server will not use it ("
                + entry().resolve("libjllama.so") + " is marked unverified)\n");

        Manifest manifest = Manifest.read(entry().resolve(Manifest.FILE_NAME));
        assertThat(manifest.verified()).isFalse();
        assertThat(manifest.verification()).contains("invalid ELF header");
        LibrarySelection chosen = LibrarySelection.choose(null, new NativeCache(cacheDir), BuildPins.BINDING_VERSION,
                PLATFORM, CPU);
        assertThat(chosen.preferred().bundled()).isTrue();
        assertThat(chosen.rejected()).singleElement().satisfies(r -> assertThat(r.reason())
                .isEqualTo("not verified: the native library libjllama.so does not load: invalid ELF header"));

        // a second build finds the sources fetched earlier
        Run again = build(path("cmake", "cc", "c++"));
        assertThat(again.out()).contains("llama.cpp b4916 (" + head(llama).substring(0, 8) + ") fetched earlier");
    }

    @Test
    void cudaAddsTheBackendAndTakesTheLibraryFromTheCudaResources() throws Exception {
        write(product, "garbage".getBytes(StandardCharsets.UTF_8));

        Run run = build(path("cmake", "cc", "c++", "nvcc"), localSources("--cuda"));

        assertThat(run.code()).isEqualTo(1); // the fake library does not load, but the build went through
        assertThat(cmakeCalls().get(0)).endsWith(" -DGGML_CUDA=ON");
        assertThat(run.out()).contains("[3/5] Configuring with CMake (cuda, GGML_NATIVE=ON)");
        assertThat(new NativeCache(cacheDir).entry(BuildPins.BINDING_VERSION, PLATFORM, "cuda",
                dev.ggufserver.nativelib.CpuFeatures.key(CPU)).resolve(Manifest.FILE_NAME)).exists();
        assertThat(build(path("cmake", "cc", "c++"), localSources("--cuda", "--vulkan")).code()).isEqualTo(2);
    }

    @Test
    void cudaArchitecturesAreNamedForABuildWithoutAGpuAndCheckedFirst() throws Exception {
        write(product, "garbage".getBytes(StandardCharsets.UTF_8));

        build(path("cmake", "cc", "c++", "nvcc"), localSources("--cuda", "--cuda-architectures", "80;86;90a"));
        assertThat(cmakeCalls().get(0)).contains(" -DGGML_CUDA=ON").endsWith(" -DCMAKE_CUDA_ARCHITECTURES=80;86;90a");

        Run bad = build(path("cmake", "cc", "c++", "nvcc"), localSources("--cuda", "--cuda-architectures", "80;$(x)"));
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--cuda-architectures takes numbers such as 80;86;89;90");
        Run withoutCuda = build(path("cmake", "cc", "c++"), localSources("--cuda-architectures", "80"));
        assertThat(withoutCuda.code()).isEqualTo(2);
        assertThat(withoutCuda.err()).contains("--cuda-architectures goes with --cuda");
    }
}
