package dev.ggufserver.cli;

import dev.ggufserver.server.GgufServer;
import dev.ggufserver.server.StartupException;
import java.time.Duration;
import picocli.CommandLine;

/**
 * The {@code gguf-server} command. Exit codes: 0 after --help or --version, 1 when the server cannot start, 2 for
 * bad options, a bad model file or a port in use (one line on stderr, never a stack trace). Once started it runs until SIGTERM or
 * Ctrl-C, then lets running requests finish (--shutdown-timeout), stops its engine process and exits with 0.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        ServeCommand command = new ServeCommand();
        CommandLine cli = new CommandLine(command)
                .setParameterExceptionHandler((e, a) -> {
                    System.err.println("gguf-server: " + e.getMessage() + " (see --help)");
                    return StartupException.USAGE;
                });
        int code = cli.execute(args);
        if (code != 0 || command.config == null) {
            System.exit(code); // --help, --version or a usage error
        }
        GgufServer server;
        try {
            server = GgufServer.start(command.config);
        } catch (StartupException e) {
            System.err.println("gguf-server: " + e.getMessage());
            System.exit(e.exitCode());
            return;
        }
        Duration grace = command.config.shutdownGrace();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.shutdown(grace);
            } finally {
                // a stop we asked for is a successful exit, whatever signal asked and whatever would not end
                Runtime.getRuntime().halt(0);
            }
        }, "shutdown"));
    }
}
