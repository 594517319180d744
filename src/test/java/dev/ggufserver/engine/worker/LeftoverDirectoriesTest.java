package dev.ggufserver.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What a killed server's engine process left in the temporary directory goes at the next start. */
class LeftoverDirectoriesTest {

    private static Path engineDirectory(long ownerPid, String... files) throws Exception {
        Path dir = Files.createTempDirectory(WorkerConnection.DIRECTORY_PREFIX + ownerPid + "-");
        for (String file : files) {
            Files.writeString(dir.resolve(file), "x");
        }
        return dir;
    }

    @Test
    void directoriesOfServersThatAreGoneAreRemovedAndCrashReportsAndLiveServersKept() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long deadPid = gone.pid();
        Path litter = engineDirectory(deadPid, "engine.sock", "libjllama.so");
        Path crashed = engineDirectory(deadPid, "libjllama.so", "hs_err_pid42.log");
        Path live = engineDirectory(ProcessHandle.current().pid(), "engine.sock");
        try {
            WorkerConnection.removeLeftovers();

            assertThat(litter).doesNotExist();
            assertThat(crashed.resolve("hs_err_pid42.log")).exists();
            assertThat(crashed.resolve("libjllama.so")).doesNotExist();
            assertThat(live.resolve("engine.sock")).as("a running server's").exists();
        } finally {
            for (Path dir : new Path[]{litter, crashed, live}) {
                if (Files.exists(dir)) {
                    try (var files = Files.list(dir)) {
                        for (Path f : files.toList()) {
                            Files.delete(f);
                        }
                    }
                    Files.delete(dir);
                }
            }
        }
    }
}
