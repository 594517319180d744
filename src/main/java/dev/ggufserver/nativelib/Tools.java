package dev.ggufserver.nativelib;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Finds programs as a shell would, on the PATH of a given environment (so tests can give their own). */
final class Tools {
    private final Map<String, String> environment;
    private final boolean windows;

    Tools(Map<String, String> environment, Platform platform) {
        this.environment = environment;
        this.windows = platform.os().equals(Platform.WINDOWS);
    }

    /** The first of {@code names} on the PATH (an absolute path is taken as it is). */
    Optional<Path> find(String... names) {
        for (String name : names) {
            if (name.contains(File.separator) || name.contains("/")) {
                Path p = Path.of(name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
                continue;
            }
            for (Path dir : path()) {
                for (String candidate : candidates(name)) {
                    Path file = dir.resolve(candidate);
                    if (Files.isRegularFile(file) && Files.isExecutable(file)) {
                        return Optional.of(file);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** {@code name} in {@code $VARIABLE/bin}, e.g. nvcc in CUDA_HOME. */
    Optional<Path> inHome(String variable, String name) {
        String home = environment.get(variable);
        if (home == null || home.isBlank()) {
            return Optional.empty();
        }
        for (String candidate : candidates(name)) {
            Path file = Path.of(home, "bin", candidate);
            if (Files.isRegularFile(file) && Files.isExecutable(file)) {
                return Optional.of(file);
            }
        }
        return Optional.empty();
    }

    /** The compiler named by a variable such as CXX (a name on the PATH or a path), when it is set. */
    Optional<Path> named(String variable) {
        String value = environment.get(variable);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        return find(value.trim().split("\\s+")[0]);
    }

    boolean isSet(String variable) {
        String value = environment.get(variable);
        return value != null && !value.isBlank();
    }

    private List<Path> path() {
        List<Path> dirs = new ArrayList<>();
        String path = environment.getOrDefault("PATH", environment.getOrDefault("Path", ""));
        for (String entry : path.split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                dirs.add(Path.of(entry));
            }
        }
        return dirs;
    }

    private List<String> candidates(String name) {
        if (!windows) {
            return List.of(name);
        }
        List<String> names = new ArrayList<>(List.of(name));
        for (String ext : environment.getOrDefault("PATHEXT", ".EXE;.BAT;.CMD").split(";")) {
            names.add(name + ext.toLowerCase(Locale.ROOT));
        }
        return names;
    }
}
