package dev.ggufserver.server;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;

/**
 * How many models fit in memory at once, for {@code --max-loaded-models auto}: a loaded model takes about its file
 * (llama.cpp maps the weights and repacks some of them) plus its engine process (a JVM, buffers, its KV cache),
 * and the sum of those must stay within most of the memory available when the server starts.
 */
final class MemoryBudget {
    /** What one engine process costs beside its weights: its JVM, llama.cpp's buffers, a KV cache. */
    static final long PER_PROCESS_BYTES = 400L << 20;
    /** Weights take a little more loaded than on disk (repacked tensors, alignment). */
    static final double FILE_FACTOR = 1.2;
    /** The share of available memory the models may take: the rest is the system's and the server's. */
    static final double USABLE_SHARE = 0.8;

    private MemoryBudget() {
    }

    /** What a model of this file size needs loaded. */
    static long needs(long fileBytes) {
        return (long) (fileBytes * FILE_FACTOR) + PER_PROCESS_BYTES;
    }

    /**
     * The limit for these models: 0 (no limit) when all fit together, else how many fit even when the largest are
     * the ones loaded, at least 1.
     */
    static int maxLoaded(List<Long> fileSizes, long availableBytes) {
        long usable = (long) (availableBytes * USABLE_SHARE);
        long all = 0;
        for (long size : fileSizes) {
            all += needs(size);
        }
        if (all <= usable) {
            return 0;
        }
        List<Long> largestFirst = new ArrayList<>(fileSizes);
        largestFirst.sort(Comparator.reverseOrder());
        int fit = 0;
        long used = 0;
        for (long size : largestFirst) {
            used += needs(size);
            if (used > usable) {
                break;
            }
            fit++;
        }
        return Math.max(1, fit);
    }

    /** Memory the system can give now: MemAvailable on Linux, else the free physical memory the JVM reports. */
    static OptionalLong available() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("\\D+", "")) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: ask the JVM
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return OptionalLong.of(os.getFreeMemorySize());
        }
        return OptionalLong.empty();
    }
}
