package dev.ggufserver.cli;

import dev.ggufserver.models.Downloader;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Download progress on stderr: a bar redrawn in place when a person watches a terminal, a line every few seconds
 * when the output goes to a log.
 */
final class TerminalProgress implements Downloader.Progress {
    private static final int BAR_WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;
    private String name;
    private long total;
    private long startBytes;
    private long startNanos;
    private long lastPrintNanos;

    TerminalProgress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    static TerminalProgress onStderr() {
        return new TerminalProgress(System.err, System.console() != null);
    }

    @Override
    public void started(String name, long total, long already) {
        this.name = name;
        this.total = total;
        this.startBytes = already;
        this.startNanos = System.nanoTime();
        this.lastPrintNanos = 0;
        out.println("Downloading " + name + (total > 0 ? " (" + bytes(total) + ")" : "")
                + (already > 0 ? ", resuming at " + bytes(already) : ""));
    }

    @Override
    public void advanced(long soFar) {
        long now = System.nanoTime();
        long interval = terminal ? 100_000_000L : 5_000_000_000L;
        if (now - lastPrintNanos < interval) {
            return;
        }
        lastPrintNanos = now;
        print(soFar, now, false);
    }

    @Override
    public void finished() {
        if (terminal) {
            out.println();
        }
    }

    private void print(long soFar, long now, boolean done) {
        double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
        double speed = (soFar - startBytes) / seconds;
        String eta = total > 0 && speed > 0 ? duration((long) ((total - soFar) / speed)) : "?";
        String amount = bytes(soFar) + (total > 0 ? " / " + bytes(total) : "");
        String rate = bytes((long) speed) + "/s";
        if (terminal) {
            String bar = "";
            if (total > 0) {
                int filled = (int) Math.min(BAR_WIDTH, BAR_WIDTH * soFar / total);
                bar = "[" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "] "
                        + String.format(Locale.ROOT, "%3d%% ", 100 * soFar / total);
            }
            out.print("\r" + bar + amount + "  " + rate + "  ETA " + eta + "   ");
            out.flush();
        } else {
            String percent = total > 0 ? String.format(Locale.ROOT, "%d%% ", 100 * soFar / total) : "";
            out.println(name + ": " + percent + "(" + amount + "), " + rate + ", ETA " + eta);
        }
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double v = n;
        int unit = -1;
        while (v >= 1024 && unit < units.length - 1) {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[unit]);
    }

    private static String duration(long seconds) {
        return seconds >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60,
                seconds % 60) : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
