package dev.ggufserver.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * llama.cpp reads LLAMA_ARG_* environment variables while it parses its parameters, so a variable left over in the
 * user's shell would silently change the engine. A running JVM cannot change its own environment, so when any is
 * set we start the same program again without them and pass its exit code on.
 */
final class NativeEnvironment {
    static final String PREFIX = "LLAMA_ARG_";

    private NativeEnvironment() {
    }

    static boolean polluted(Map<String, String> env) {
        return env.keySet().stream().anyMatch(k -> k.startsWith(PREFIX));
    }

    /** Runs this program again with a clean environment and returns its exit code. */
    static int relaunchClean(String[] args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().keySet().removeIf(k -> k.startsWith(PREFIX));
        Process child = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            child.destroy(); // SIGTERM reaches the child too, so it can shut down cleanly
            try {
                child.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        return child.waitFor();
    }
}
