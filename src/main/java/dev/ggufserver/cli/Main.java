package dev.ggufserver.cli;

import dev.ggufserver.server.GgufServer;
import dev.ggufserver.server.StartupException;
import picocli.CommandLine;

/**
 * The {@code gguf-server} command. Exit codes: 0 after --help or --version, 1 when the server cannot start, 2 for
 * bad options or a bad model file (one line on stderr, never a stack trace). Once started it runs until SIGTERM or
 * Ctrl-C.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (NativeEnvironment.polluted(System.getenv())) {
            System.exit(NativeEnvironment.relaunchClean(args));
        }
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
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "shutdown"));
    }
}
