package dev.ggufserver.cli;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** What the real command line accepts, for tests that check deployment files against it. */
public final class ServeCommandOptions {
    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Z0-9_]+)");

    private ServeCommandOptions() {
    }

    /** Every GGUF_SERVER_* variable an option of the server command reads. */
    public static Set<String> environmentVariables() {
        Set<String> names = new TreeSet<>();
        CommandLine cli = new CommandLine(new ServeCommand());
        cli.setInterpolateVariables(false); // keep "${env:NAME:-default}" as written
        for (OptionSpec option : cli.getCommandSpec().options()) {
            String raw = option.defaultValue();
            if (raw != null) {
                Matcher m = ENV.matcher(raw);
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }

    /** Whether these arguments parse as the server command's options. */
    public static boolean parses(List<String> args) {
        try {
            new CommandLine(new ServeCommand()).parseArgs(args.toArray(String[]::new));
            return true;
        } catch (CommandLine.ParameterException e) {
            return false;
        }
    }

    /** Whether these arguments parse as {@code native build}'s options. */
    public static boolean nativeBuildParses(List<String> args) {
        try {
            new CommandLine(new NativeCommand.Build()).parseArgs(args.toArray(String[]::new));
            return true;
        } catch (CommandLine.ParameterException e) {
            return false;
        }
    }
}
