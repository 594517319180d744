package dev.ggufserver.server;

/** The server cannot start; the message is the one line the user sees, with the process exit code to use. */
public final class StartupException extends Exception {
    /** Bad options, a bad model file, or a port already in use. */
    public static final int USAGE = 2;
    /** Anything else that stops the server from starting (the engine failed to load, an address not ours). */
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
