package dev.ggufserver.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The download lock across processes; the test plays the other process in the window between open and lock. */
class DownloadLockTest {
    @TempDir
    Path dir;

    @Test
    void aLockOnAFileThatWasDeletedAndCreatedAnewMeanwhileIsNotTrusted() throws Exception {
        Path file = dir.resolve("m.gguf.lock");
        FileChannel[] other = new FileChannel[1];
        FileLock[] otherLock = new FileLock[1];
        // after we opened the file: its holder finished and deleted it, and a third download created and locked
        // a new one. Our lock would be on the deleted file, seen by nobody.
        Runnable race = () -> {
            try {
                Files.delete(file);
                other[0] = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                otherLock[0] = other[0].lock();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        try {
            assertThat(DownloadLock.tryAcquire(file, race)).as("the third download holds the lock").isNull();
        } finally {
            otherLock[0].release();
            other[0].close();
        }
    }

    @Test
    void aFileDeletedByItsLastHolderMeanwhileIsCreatedAnewAndLocked() throws Exception {
        Path file = dir.resolve("m.gguf.lock");
        boolean[] raced = {false};
        try (DownloadLock lock = DownloadLock.tryAcquire(file, () -> {
            if (!raced[0]) {
                raced[0] = true;
                try {
                    Files.delete(file); // the last holder's close
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        })) {
            assertThat(lock).isNotNull();
            assertThat(file).exists();
            assertThat(DownloadLock.tryAcquire(file)).as("held").isNull();
        }
        assertThat(file).doesNotExist();
    }

    @Test
    void theHolderDeletesTheFileBeforeReleasingIt() throws Exception {
        Path file = dir.resolve("m.gguf.lock");
        DownloadLock lock = DownloadLock.tryAcquire(file);
        assertThat(lock).isNotNull();

        lock.close();

        assertThat(file).doesNotExist();
        try (DownloadLock again = DownloadLock.tryAcquire(file)) {
            assertThat(again).isNotNull();
        }
    }
}
