package dev.ggufserver.nativelib;

import dev.ggufserver.engine.llama.NativeLibraryCheck;
import dev.ggufserver.engine.llama.NativeLibraryLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Tries a native library in a throw-away engine process ({@link NativeLibraryCheck}: this JVM's java, our
 * classpath), as the engine process would load it. Nothing native is loaded into this process.
 */
public final class LibraryCheck {
    private static final long TIMEOUT_SECONDS = 120;

    /**
     * What the check found.
     *
     * @param verified   the library loaded, its native methods answered, and llama.cpp started
     * @param message    what it said: "ok", or why not
     * @param systemInfo llama.cpp's line about what the library was compiled for, or null
     */
    public record Result(boolean verified, String message, String systemInfo) {
    }

    private LibraryCheck() {
    }

    /** Checks {@code library} (named as the binding loads it) with {@code environment} for the child process. */
    public static Result check(Path library, Map<String, String> environment) throws IOException {
        Path scratch = Files.createTempDirectory("gguf-server-native-check-");
        try {
            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.add("-Xmx256m");
            command.add("-XX:-CreateCoredumpOnCrash");
            command.add("-XX:ErrorFile=" + scratch.resolve("hs_err_pid%p.log"));
            command.add("-Dde.kherud.llama.lib.path=" + library.toAbsolutePath().getParent());
            command.add("-Dde.kherud.llama.tmpdir=" + scratch);
            command.add("-D" + NativeLibraryLoader.LIBRARY_PROPERTY + "=" + library.toAbsolutePath());
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(NativeLibraryCheck.class.getName());
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().clear();
            builder.environment().putAll(environment);
            builder.environment().keySet().removeIf(name -> name.startsWith("LLAMA_ARG_"));
            Process process = builder.start();
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            boolean ended;
            try {
                ended = process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ended = false;
            }
            if (!ended) {
                process.destroyForcibly();
                return new Result(false, "the check did not end within " + TIMEOUT_SECONDS + " s", null);
            }
            return interpret(process.exitValue(), output.join());
        } finally {
            deleteTree(scratch);
        }
    }

    static Result interpret(int exitCode, String output) {
        String systemInfo = null;
        String failure = null;
        boolean ok = false;
        for (String line : output.split("\n")) {
            String l = line.strip();
            if (l.startsWith("system_info:")) {
                int bar = l.indexOf(" | ");
                systemInfo = (bar < 0 ? l.substring("system_info:".length()) : l.substring(bar + 3)).strip();
                if (systemInfo.endsWith("|")) {
                    systemInfo = systemInfo.substring(0, systemInfo.length() - 1).strip();
                }
            } else if (l.startsWith(NativeLibraryCheck.FAILED)) {
                failure = l.substring(NativeLibraryCheck.FAILED.length());
            } else if (l.equals(NativeLibraryCheck.OK)) {
                ok = true;
            }
        }
        if (ok && exitCode == 0) {
            return new Result(true, "ok", systemInfo);
        }
        if (failure != null) {
            return new Result(false, failure, systemInfo);
        }
        String signal = switch (exitCode) {
            case 132 -> " (SIGILL: an instruction this CPU does not have)";
            case 134 -> " (SIGABRT)";
            case 139 -> " (SIGSEGV)";
            default -> "";
        };
        List<String> lines = output.lines().toList();
        String tail = String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        return new Result(false, "the check process ended with exit code " + exitCode + signal
                + (tail.isBlank() ? "" : ": " + tail), systemInfo);
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // a temporary file left behind
        }
    }
}
