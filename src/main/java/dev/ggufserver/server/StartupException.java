package dev.ggufserver.server;

/** The server cannot start; the message is the one line the user sees, with the process exit code to use. */
public final class StartupException extends Exception {
    /** Bad options or a bad model file. */
    public static final int USAGE = 2;
    /** Anything else that stops the server from starting (port taken, engine failed to load). */
    public static final int FAILURE = 1;

    private final int exitCode;

    public StartupException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
