package dev.ggufserver.cli;

import dev.ggufserver.models.GgufFile;
import dev.ggufserver.models.ModelStore;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code gguf-server list}: the models in the models directory, described by our own GGUF reader. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the models in the models directory.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    ModelOptions models;

    @Override
    public Integer call() throws IOException {
        List<ModelStore.Entry> entries = models.store().list();
        if (entries.isEmpty()) {
            System.out.println("No models in " + models.modelsDir.toAbsolutePath().normalize()
                    + " (gguf-server pull downloads one)");
            return 0;
        }
        String format = "%-48s %10s  %-12s %-8s %9s  %-10s%n";
        System.out.printf(Locale.ROOT, format, "NAME", "SIZE", "ARCH", "QUANT", "CONTEXT", "PARAMETERS");
        for (ModelStore.Entry e : entries) {
            if (!e.valid()) {
                System.out.printf(Locale.ROOT, "%-48s %10s  invalid: %s%n", e.name(),
                        TerminalProgress.bytes(e.size()), e.problem());
                continue;
            }
            GgufFile g = e.gguf();
            System.out.printf(Locale.ROOT, format, e.name(), TerminalProgress.bytes(e.size()), g.architecture(),
                    g.quantization(), g.archInteger("context_length").map(String::valueOf).orElse("?"),
                    parameters(g.parameterCount()));
        }
        return 0;
    }

    static String parameters(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1fB", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1fM", n / 1e6);
        }
        return String.format(Locale.ROOT, "%.1fK", n / 1e3);
    }
}
