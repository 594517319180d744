package dev.ggufserver.cli;

import dev.ggufserver.server.StartupException;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code gguf-server rm NAME}: deletes a model from the models directory. */
@Command(name = "rm", mixinStandardHelpOptions = true,
        description = "Deletes a model (its file name, with or without .gguf) from the models directory.")
final class RmCommand implements Callable<Integer> {
    @Mixin
    ModelOptions models;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws IOException {
        try {
            if (!models.store().remove(name)) {
                System.err.println("gguf-server: no model named " + name + " in " + models.modelsDir);
                return StartupException.USAGE;
            }
        } catch (IllegalArgumentException e) {
            System.err.println("gguf-server: " + e.getMessage());
            return StartupException.USAGE;
        }
        System.out.println("Deleted " + name);
        return 0;
    }
}
