package dev.ggufserver.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads a model into the models directory the careful way: into {@code NAME.gguf.part}, resuming with HTTP
 * Range after an interruption, hashing with SHA-256 as it goes and comparing with the value the host publishes
 * (Hugging Face's {@code X-Linked-Etag}) or the user gave, validating the GGUF header, and only then renaming it
 * atomically to {@code NAME.gguf}. A file named like a finished model is always a whole, verified one.
 *
 * <p>A checksum mismatch deletes the {@code .part} (its bytes cannot be trusted to resume from); an interrupted
 * transfer keeps it, and the next run resumes.
 */
public final class Downloader {
    private static final Pattern SHA256 = Pattern.compile("\"?([0-9a-fA-F]{64})\"?");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int MAX_REDIRECTS = 8;
    private static final int ATTEMPTS = 3;

    /**
     * @param connectTimeout  to open a connection
     * @param answerTimeout   from request to response headers
     * @param stallTimeout    longest pause in the middle of the body
     * @param hfToken         sent as a Bearer token to Hugging Face hosts only (HF_TOKEN), or null
     */
    public record Settings(Duration connectTimeout, Duration answerTimeout, Duration stallTimeout, String hfToken,
                           String userAgent) {
        public static Settings defaults(String hfToken, String version) {
            return new Settings(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(60), hfToken,
                    "gguf-server/" + version);
        }
    }

    /** Told how a download advances. */
    public interface Progress {
        /** @param total bytes of the whole file, -1 when unknown; @param already bytes resumed from the .part */
        void started(String name, long total, long already);

        void advanced(long bytesSoFar);

        void finished();
    }

    /** A download that did not end in a verified file; the message says why and what to do. */
    public static final class DownloadException extends Exception {
        public DownloadException(String message) {
            super(message);
        }
    }

    private final Settings settings;
    private final HttpClient client;
    private final ScheduledExecutorService stallWatch = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "download-stall-watch");
        t.setDaemon(true);
        return t;
    });

    public Downloader(Settings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER) // we follow them, to read Hugging Face's headers first
                .proxy(ProxySelector.getDefault()) // -Dhttps.proxyHost and friends
                .build();
    }

    /** Downloads (or finishes downloading) {@code ref} into {@code directory}; returns the verified file. */
    public Path download(ModelReference.Remote ref, Path directory, String expectedSha256, Progress progress)
            throws DownloadException, IOException {
        Files.createDirectories(directory);
        Path target = directory.resolve(ref.fileName());
        Path part = directory.resolve(ref.fileName() + ".part");
        try (FileChannel lockChannel = FileChannel.open(directory.resolve(ref.fileName() + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = tryLock(lockChannel, ref)) {
            String published = null;
            IOException lastFailure = null;
            for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                try {
                    published = transfer(ref, part, progress);
                    lastFailure = null;
                    break;
                } catch (InterruptedTransfer e) {
                    lastFailure = e.cause; // the .part keeps what arrived; the next attempt resumes from there
                }
            }
            if (lastFailure != null) {
                throw new DownloadException("the download of " + ref.url() + " was interrupted (" + describe(lastFailure)
                        + ") after " + Files.size(part) + " bytes; run the same command again to resume it");
            }
            return verifyAndKeep(ref, part, target, expectedSha256 != null ? expectedSha256 : published);
        } finally {
            Files.deleteIfExists(directory.resolve(ref.fileName() + ".lock"));
        }
    }

    private static FileLock tryLock(FileChannel channel, ModelReference.Remote ref) throws DownloadException,
            IOException {
        try {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new DownloadException("another download of " + ref.fileName() + " is in progress");
            }
            return lock;
        } catch (OverlappingFileLockException e) {
            throw new DownloadException("another download of " + ref.fileName() + " is in progress");
        }
    }

    /** The part of a transfer that may be retried: the connection broke after the download had started. */
    private static final class InterruptedTransfer extends Exception {
        final IOException cause;

        InterruptedTransfer(IOException cause) {
            this.cause = cause;
        }
    }

    /** Fetches the rest of the file into {@code part}; returns the SHA-256 the host published, if any. */
    private String transfer(ModelReference.Remote ref, Path part, Progress progress)
            throws DownloadException, IOException, InterruptedTransfer {
        long have = Files.exists(part) ? Files.size(part) : 0;
        URI url = ref.url();
        String published = null;
        long publishedSize = -1;
        HttpResponse<InputStream> response = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            response = send(url, ref, have);
            int status = response.statusCode();
            if (status < 300 || status >= 400) {
                break;
            }
            // Hugging Face answers with a redirect to its CDN and puts the file's SHA-256 and size on it
            published = header(response, "X-Linked-Etag").map(Downloader::sha256Of).orElse(published);
            publishedSize = header(response, "X-Linked-Size").map(Long::parseLong).orElse(publishedSize);
            String location = header(response, "Location").orElseThrow(() ->
                    new DownloadException("the server sent a redirect without a location for " + ref.url()));
            response.body().close();
            url = url.resolve(location);
            if (hop == MAX_REDIRECTS) {
                throw new DownloadException("too many redirects for " + ref.url());
            }
        }
        int status = response.statusCode();
        long total = publishedSize;
        boolean append;
        if (status == 206) {
            Matcher range = CONTENT_RANGE.matcher(header(response, "Content-Range").orElse(""));
            append = range.matches() && Long.parseLong(range.group(1)) == have;
            if (range.matches() && !range.group(3).equals("*")) {
                total = Long.parseLong(range.group(3));
            }
            if (!append) {
                response.body().close();
                Files.deleteIfExists(part); // an answer for other bytes than we asked: start over
                throw new InterruptedTransfer(new IOException("the server resumed at the wrong offset"));
            }
        } else if (status == 200) {
            append = false; // no resume support, or nothing to resume: from the start
            long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            total = length >= 0 ? length : total;
        } else if (status == 416 && have > 0) {
            response.body().close();
            progress.started(ref.fileName(), have, have);
            progress.finished();
            return published; // the .part is already whole
        } else {
            response.body().close();
            throw new DownloadException(explainStatus(status, ref));
        }
        progress.started(ref.fileName(), total, append ? have : 0);
        copy(response.body(), part, append, progress, append ? have : 0);
        progress.finished();
        long size = Files.size(part);
        if (total >= 0 && size != total) {
            throw new InterruptedTransfer(new IOException("the connection ended at " + size + " of " + total
                    + " bytes"));
        }
        return published;
    }

    private HttpResponse<InputStream> send(URI url, ModelReference.Remote ref, long have)
            throws DownloadException, IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).GET()
                .timeout(settings.answerTimeout())
                .header("User-Agent", settings.userAgent());
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        // the token goes to Hugging Face itself, never to the CDN or any other host it redirects to
        if (settings.hfToken() != null && !settings.hfToken().isBlank() && ref.huggingFace()
                && url.getHost() != null && url.getHost().equals(ref.url().getHost())) {
            request.header("Authorization", "Bearer " + settings.hfToken());
        }
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            throw new DownloadException(cannotDownload(url, "the connection timed out"));
        } catch (HttpTimeoutException e) {
            throw new DownloadException(cannotDownload(url, "no answer within " + settings.answerTimeout().toSeconds()
                    + " s"));
        } catch (ConnectException e) {
            throw new DownloadException(cannotDownload(url, describe(e)));
        } catch (IOException e) {
            throw new DownloadException(cannotDownload(url, describe(e)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException("the download of " + url + " was interrupted");
        }
    }

    private void copy(InputStream body, Path part, boolean append, Progress progress, long start)
            throws InterruptedTransfer, IOException {
        AtomicLong lastByteNanos = new AtomicLong(System.nanoTime());
        long stallNanos = settings.stallTimeout().toNanos();
        var watch = stallWatch.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastByteNanos.get() > stallNanos) {
                try {
                    body.close(); // unblocks the read below with an IOException
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }, 200, 200, TimeUnit.MILLISECONDS);
        long written = start;
        try (InputStream in = body;
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
                written += n;
                lastByteNanos.set(System.nanoTime());
                progress.advanced(written);
            }
        } catch (IOException e) {
            boolean stalled = System.nanoTime() - lastByteNanos.get() > stallNanos;
            throw new InterruptedTransfer(stalled ? new IOException("no data for "
                    + settings.stallTimeout().toSeconds() + " s") : e);
        } finally {
            watch.cancel(false);
        }
    }

    private static Path verifyAndKeep(ModelReference.Remote ref, Path part, Path target, String expectedSha256)
            throws DownloadException, IOException {
        String actual = sha256(part);
        if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(actual)) {
            Files.deleteIfExists(part);
            throw new DownloadException("the download of " + ref.url() + " is corrupt: its SHA-256 is " + actual
                    + " but " + expectedSha256.toLowerCase(Locale.ROOT) + " was expected; the partial file was "
                    + "deleted, run the command again to download it afresh");
        }
        try {
            ModelValidator.validate(GgufReader.read(part));
        } catch (GgufFormatException e) {
            Files.deleteIfExists(part);
            throw new DownloadException("the file downloaded from " + ref.url() + " is not a usable GGUF model ("
                    + e.getMessage() + "); it was deleted");
        }
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(ModelStore.checksumFile(target), actual + "\n", StandardCharsets.US_ASCII);
        return target;
    }

    /** SHA-256 of a file, as lowercase hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String sha256Of(String etag) {
        Matcher m = SHA256.matcher(etag.trim());
        return m.matches() ? m.group(1).toLowerCase(Locale.ROOT) : null;
    }

    private static Optional<String> header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name);
    }

    private static String explainStatus(int status, ModelReference.Remote ref) {
        String why = switch (status) {
            case 401, 403 -> "access denied (HTTP " + status + "): a gated or private repository needs a token in "
                    + "HF_TOKEN";
            case 404 -> "not found (HTTP 404): check the repository and file name";
            case 429 -> "too many requests (HTTP 429): try again later";
            default -> "the server answered HTTP " + status;
        };
        return cannotDownload(ref.url(), why);
    }

    private static String cannotDownload(URI url, String reason) {
        return "cannot download " + url + ": " + reason + ". Check the network or proxy (-Dhttps.proxyHost=…), "
                + "or download the file yourself and start with --model PATH";
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String name = t.getClass().getSimpleName();
            if (name.equals("UnresolvedAddressException") || name.equals("UnknownHostException")) {
                return "the host name cannot be resolved (offline?)";
            }
            if (t instanceof ConnectException) {
                return "the connection was refused (offline?)";
            }
            root = t;
        }
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }
}
