package dev.ggufserver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserver.engine.worker.NativeLibraries;
import dev.ggufserver.engine.NativeLibrary;
import dev.ggufserver.nativelib.BuildPins;
import dev.ggufserver.nativelib.CpuFeatures;
import dev.ggufserver.nativelib.Manifest;
import dev.ggufserver.nativelib.NativeCache;
import dev.ggufserver.nativelib.Platform;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The server picks a native library from the cache by itself, and the real engine process maps that file; a
 * library that does not load costs a warning and the bundled library, never a crash loop; one named with
 * --native-lib that does not load stops the start.
 */
class NativeLibraryServerTest {
    private static final String HI = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final Platform PLATFORM = Platform.current();

    @TempDir
    Path cacheDir;

    /** A verified cache entry for this machine holding {@code library}'s bytes, as `native build` installs one. */
    private Path install(byte[] library) throws Exception {
        return install(library, "cpu");
    }

    private Path install(byte[] library, String variant) throws Exception {
        Set<String> features = CpuFeatures.current(PLATFORM);
        Path entry = new NativeCache(cacheDir).entry(BuildPins.BINDING_VERSION, PLATFORM, variant,
                CpuFeatures.key(features));
        Files.createDirectories(entry);
        Path file = entry.resolve(PLATFORM.libraryFileName());
        Files.write(file, library);
        new Manifest(BuildPins.BINDING_VERSION, BuildPins.PINNED.llamaCpp().commit(), variant, PLATFORM.os(),
                PLATFORM.arch(), List.copyOf(features), PLATFORM.libraryFileName(),
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(library)), true, "ok", null,
                "2026-12-01T10:00:00Z", List.of("-DGGML_NATIVE=ON")).writeTo(entry);
        return file;
    }

    static byte[] bundledLibrary() throws IOException {
        try (InputStream in = ClassLoader.getSystemResourceAsStream(PLATFORM.bundledResource())) {
            assertThat(in).as("the binding's library for " + PLATFORM).isNotNull();
            return in.readAllBytes();
        }
    }

    private GgufServer start(ServerConfig.NativeLibraryOptions natives) throws StartupException {
        return GgufServer.start(ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", 0, 512, 1, 2, "tiny-r1")
                .withNativeLibrary(natives));
    }

    /** The shared objects the worker process has mapped, from /proc. */
    private static List<String> mappedLibraries(GgufServer server) throws IOException {
        long pid = server.engine().workerPid().orElseThrow();
        return Files.readAllLines(Path.of("/proc/" + pid + "/maps")).stream().filter(l -> l.contains("jllama"))
                .map(l -> l.substring(l.indexOf('/'))).distinct().toList();
    }

    private static JsonNode nativeMeta(Http http) {
        return http.get("/v1/models").json().get("data").get(0).get("meta").get("native_library");
    }

    @Test
    void aVerifiedLibraryInTheCacheIsTheOneTheEngineProcessMaps() throws Exception {
        Path copy = install(bundledLibrary());

        try (GgufServer server = start(new ServerConfig.NativeLibraryOptions(null, cacheDir))) {
            assertThat(mappedLibraries(server)).containsExactly(copy.toString());
            Http http = new Http("http://127.0.0.1:" + server.port());
            JsonNode meta = nativeMeta(http);
            assertThat(meta.get("source").asText()).isEqualTo("cache");
            assertThat(meta.get("path").asText()).isEqualTo(copy.toString());
            assertThat(meta.get("variant").asText()).isEqualTo("cpu");
            assertThat(meta.get("cpu_features")).isNotEmpty();
            assertThat(http.post("/v1/chat/completions", HI).json().get("choices").get(0).get("message")
                    .get("content").asText()).isEqualTo(TinyModel.ANSWER);
        }
    }

    /** The layers the worker process was told to offload: its last argument, from /proc. */
    private static String gpuLayersOfWorker(GgufServer server) throws IOException {
        long pid = server.engine().workerPid().orElseThrow();
        String[] args = Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0");
        return args[args.length - 1];
    }

    @Test
    void gpuLayersDefaultToAllOnAGpuLibraryAndLlamaCppsOwnOnACpuOneUnlessGiven() throws Exception {
        // a copy of the bundled (CPU) library in the cache as a CUDA build: llama.cpp keeps the layers on the CPU
        install(bundledLibrary(), "cuda");
        try (GgufServer server = start(new ServerConfig.NativeLibraryOptions(null, cacheDir))) {
            assertThat(gpuLayersOfWorker(server)).isEqualTo(String.valueOf(NativeLibrary.ALL_LAYERS));
            Http http = new Http("http://127.0.0.1:" + server.port());
            assertThat(nativeMeta(http).get("variant").asText()).isEqualTo("cuda");
            assertThat(http.post("/v1/chat/completions", HI).json().get("choices").get(0).get("message")
                    .get("content").asText()).isEqualTo(TinyModel.ANSWER);
        }
        try (GgufServer server = start(new ServerConfig.NativeLibraryOptions(null, cacheDir, 7))) {
            assertThat(gpuLayersOfWorker(server)).isEqualTo("7");
        }
        try (GgufServer server = start(new ServerConfig.NativeLibraryOptions("bundled", cacheDir))) {
            assertThat(gpuLayersOfWorker(server)).isEqualTo(String.valueOf(NativeLibrary.LLAMA_CPP_DEFAULT));
        }
    }

    @Test
    void aLibraryThatDoesNotLoadMeansAWarningAndTheBundledOneNotACrashLoop() throws Exception {
        byte[] garbage = new byte[64 * 1024];
        new Random(16).nextBytes(garbage);
        Path corrupt = install(garbage); // its checksum is right: only loading it shows that it is broken
        Logger logger = (Logger) LoggerFactory.getLogger(NativeLibraries.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try (GgufServer server = start(new ServerConfig.NativeLibraryOptions(null, cacheDir))) {
            assertThat(logs.list).singleElement().satisfies(e -> assertThat(e.getFormattedMessage())
                    .contains(corrupt.toString()).contains("invalid ELF header").contains("bundled"));
            List<String> mapped = mappedLibraries(server);
            assertThat(mapped).noneMatch(m -> m.contains(cacheDir.toString()));
            // the bundled library, extracted into the worker's own directory and deleted once loaded
            assertThat(mapped).singleElement().satisfies(m -> assertThat(m)
                    .contains("/gguf-server-engine-").endsWith("/libjllama.so (deleted)"));
            Http http = new Http("http://127.0.0.1:" + server.port());
            assertThat(nativeMeta(http).get("source").asText()).isEqualTo("bundled");
            assertThat(http.post("/v1/chat/completions", HI).json().get("choices").get(0).get("message")
                    .get("content").asText()).isEqualTo(TinyModel.ANSWER);
            assertThat(server.engine().restarts()).isZero();
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void aLibraryNamedWithNativeLibThatDoesNotLoadStopsTheStart() throws Exception {
        Path corrupt = install("not a library".getBytes());

        assertThatThrownBy(() -> start(new ServerConfig.NativeLibraryOptions(corrupt.toString(), cacheDir)))
                .isInstanceOf(StartupException.class).hasMessageContaining(corrupt.toString())
                .hasMessageContaining("does not load").hasMessageContaining("--native-lib");
        assertThatThrownBy(() -> start(new ServerConfig.NativeLibraryOptions(cacheDir.resolve("none").toString(),
                null))).isInstanceOf(StartupException.class).hasMessageContaining("does not exist")
                .satisfies(e -> assertThat(((StartupException) e).exitCode()).isEqualTo(StartupException.USAGE));
    }
}
