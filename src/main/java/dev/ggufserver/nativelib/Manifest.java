package dev.ggufserver.nativelib;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * What {@code manifest.json} beside a built library says about it (snake_case in the file).
 *
 * @param bindingVersion the binding (de.kherud:llama) whose sources it was built from: only that binding's Java
 *                       classes fit it
 * @param llamaCppCommit the llama.cpp commit it contains
 * @param variant        cpu, cuda, vulkan or metal
 * @param os             the binding's name of the OS it was built for (Linux, Mac, Windows)
 * @param arch           and of the architecture (x86_64, aarch64)
 * @param cpuFeatures    the CPU features of the machine it was built on ({@code -DGGML_NATIVE=ON} may use any)
 * @param library        its file name, in the same folder
 * @param sha256         its SHA-256, checked before every use
 * @param verified       whether it loaded in a throw-away engine process; an unverified library is never chosen
 * @param verification   what that check said (the reason, when it failed)
 * @param systemInfo     llama.cpp's own line about what it was compiled for ({@code CPU : SSE3 = 1 | …})
 * @param builtAt        when (ISO-8601)
 * @param cmakeOptions   the options CMake was configured with
 */
public record Manifest(String bindingVersion, String llamaCppCommit, String variant, String os, String arch,
                       List<String> cpuFeatures, String library, String sha256, boolean verified,
                       String verification, String systemInfo, String builtAt, List<String> cmakeOptions) {
    public static final String FILE_NAME = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    public Manifest {
        cpuFeatures = cpuFeatures == null ? List.of() : List.copyOf(new java.util.TreeSet<>(cpuFeatures));
        cmakeOptions = cmakeOptions == null ? List.of() : List.copyOf(cmakeOptions);
    }

    public static Manifest read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), Manifest.class);
    }

    /** Writes {@code manifest.json} into {@code directory}, whole or not at all. */
    public void writeTo(Path directory) throws IOException {
        Path temporary = directory.resolve(FILE_NAME + ".tmp");
        JSON.writeValue(temporary.toFile(), this);
        Files.move(temporary, directory.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }
}
