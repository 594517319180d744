package dev.ggufserver.models;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.UUID;

/**
 * {@code NAME.gguf.lock}: one download of a file at a time, across processes. The holder deletes the file while
 * it still holds the lock. A process that locked a file which meanwhile was deleted (and perhaps created anew by
 * a third) holds a lock nobody else sees, so after locking it checks that the path still names the file it
 * locked, and starts over if not. A file left by a killed process is locked and reused by the next download,
 * which then deletes it.
 */
final class DownloadLock implements AutoCloseable {
    private static final int ATTEMPTS = 16;
    /** The locked byte, past the token: Windows would refuse to read locked bytes back through the path. */
    private static final long LOCKED_AT = 1L << 40;

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DownloadLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** @return the lock, or null when another download holds it */
    static DownloadLock tryAcquire(Path file) throws IOException {
        return tryAcquire(file, () -> { });
    }

    /** {@code betweenOpenAndLock} lets tests play the other process in the window this class guards. */
    static DownloadLock tryAcquire(Path file, Runnable betweenOpenAndLock) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                betweenOpenAndLock.run();
                FileLock lock;
                try {
                    lock = channel.tryLock(LOCKED_AT, 1, false);
                } catch (OverlappingFileLockException e) {
                    lock = null; // held by this JVM
                }
                if (lock == null) {
                    channel.close();
                    return null;
                }
                if (stillNames(file, channel)) {
                    return new DownloadLock(file, channel, lock);
                }
                channel.close(); // our file was deleted by its last holder: lock the one at the path now
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }
        throw new IOException("cannot lock " + file + ": it keeps being replaced");
    }

    /**
     * Writes a token no other holder can have into the locked file and reads it back through the path: the path
     * names our file exactly when it holds our token (only a holder writes, and only a holder deletes).
     */
    private static boolean stillNames(Path file, FileChannel channel) throws IOException {
        byte[] token = (ProcessHandle.current().pid() + " " + UUID.randomUUID() + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(token), 0);
        channel.force(false);
        try {
            return Arrays.equals(Files.readAllBytes(file), token);
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            Files.deleteIfExists(file); // still locked: nobody can take over this file, only create a new one
        } catch (IOException ignored) {
            // left for the next download, which reuses it
        } finally {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }
}
