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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
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
 * Range after an interruption, hashing with SHA-256 as it writes and comparing with the value the host publishes
 * (Hugging Face's {@code X-Linked-Etag}) or the user gave, validating the GGUF header, and only then renaming it
 * atomically to {@code NAME.gguf}. A file named like a finished model is always a whole, verified one.
 *
 * <p>A checksum mismatch deletes the {@code .part} (its bytes cannot be trusted to resume from); an interrupted
 * transfer keeps it, and the next run resumes. A host cannot fill the disk: the body may not exceed the size it
 * announced, nor {@link Settings#maxBytes()} when it announces none, and the download stops while some free space
 * is left. A fresh body that does not start with the GGUF magic (an HTML error page) is refused at once.
 */
public final class Downloader {
    private static final Pattern SHA256 = Pattern.compile("\"?([0-9a-fA-F]{64})\"?");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int MAX_REDIRECTS = 8;
    private static final int ATTEMPTS = 3;
    /** The default of {@code --max-model-bytes}: far above any GGUF file, yet a bound on a body that never ends. */
    public static final long DEFAULT_MAX_BYTES = 1L << 40;
    /** A download stops when less than this would remain free on the disk. */
    public static final long MIN_FREE_BYTES = 256_000_000;
    private static final byte[] MAGIC = {'G', 'G', 'U', 'F'};

    /**
     * @param connectTimeout  to open a connection
     * @param answerTimeout   from request to response headers
     * @param stallTimeout    longest pause in the middle of the body
     * @param hfToken         sent as a Bearer token to the Hugging Face endpoint only (HF_TOKEN), or null
     * @param maxBytes        largest file accepted ({@code --max-model-bytes}), whatever the host announces
     */
    public record Settings(Duration connectTimeout, Duration answerTimeout, Duration stallTimeout, String hfToken,
                           String userAgent, long maxBytes) {
        public Settings(Duration connectTimeout, Duration answerTimeout, Duration stallTimeout, String hfToken,
                        String userAgent) {
            this(connectTimeout, answerTimeout, stallTimeout, hfToken, userAgent, DEFAULT_MAX_BYTES);
        }

        public static Settings defaults(String hfToken, String version) {
            return new Settings(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(60), hfToken,
                    "gguf-server/" + version);
        }

        public Settings withMaxBytes(long maxBytes) {
            return new Settings(connectTimeout, answerTimeout, stallTimeout, hfToken, userAgent, maxBytes);
        }
    }

    /** Free bytes on the disk holding a directory; tests stand in for a full disk. */
    public interface FreeSpace {
        long usable(Path directory) throws IOException;

        FreeSpace DISK = directory -> Files.getFileStore(directory).getUsableSpace();
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
    private final FreeSpace freeSpace;
    private final HttpClient client;
    private final ScheduledExecutorService stallWatch = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "download-stall-watch");
        t.setDaemon(true);
        return t;
    });

    public Downloader(Settings settings) {
        this(settings, FreeSpace.DISK);
    }

    public Downloader(Settings settings, FreeSpace freeSpace) {
        this.settings = settings;
        this.freeSpace = freeSpace;
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
        DownloadLock lock = DownloadLock.tryAcquire(directory.resolve(ref.fileName() + ".lock"));
        if (lock == null) {
            throw new DownloadException("another download of " + ref.fileName() + " is in progress");
        }
        try (lock) {
            Fetched fetched = null;
            IOException lastFailure = null;
            for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                try {
                    fetched = transfer(ref, part, progress);
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
            return verifyAndKeep(ref, part, target, fetched.sha256(),
                    expectedSha256 != null ? expectedSha256 : fetched.published());
        }
    }

    /** A whole {@code .part}: its SHA-256, computed while it was written, and the one the host published. */
    private record Fetched(String sha256, String published) {
    }

    /** The part of a transfer that may be retried: the connection broke after the download had started. */
    private static final class InterruptedTransfer extends Exception {
        final IOException cause;

        InterruptedTransfer(IOException cause) {
            this.cause = cause;
        }
    }

    /** Fetches the rest of the file into {@code part}, hashing all of it. */
    private Fetched transfer(ModelReference.Remote ref, Path part, Progress progress)
            throws DownloadException, IOException, InterruptedTransfer {
        long have = Files.exists(part) ? Files.size(part) : 0;
        URI url = ref.url();
        String published = null;
        long publishedSize = -1;
        HttpResponse<InputStream> response = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            response = send(url, ref, part.getParent(), have);
            int status = response.statusCode();
            if (status < 300 || status >= 400) {
                break;
            }
            // Hugging Face answers with a redirect to its CDN and puts the file's SHA-256 and size on it
            published = header(response, "X-Linked-Etag").map(Downloader::sha256Of).orElse(published);
            Optional<String> linkedSize = header(response, "X-Linked-Size");
            if (linkedSize.isPresent()) {
                publishedSize = size(response, "X-Linked-Size", linkedSize.get(), ref);
            }
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
            String contentRange = header(response, "Content-Range").orElse("");
            Matcher range = CONTENT_RANGE.matcher(contentRange);
            append = range.matches() && size(response, "Content-Range", range.group(1), ref) == have;
            if (range.matches() && !range.group(3).equals("*")) {
                total = size(response, "Content-Range", range.group(3), ref);
            }
            if (!append) {
                response.body().close();
                Files.deleteIfExists(part); // an answer for other bytes than we asked: start over
                throw new InterruptedTransfer(new IOException("the server resumed at the wrong offset"));
            }
        } else if (status == 200) {
            append = false; // no resume support, or nothing to resume: from the start
            Optional<String> length = header(response, "Content-Length");
            if (length.isPresent()) {
                total = size(response, "Content-Length", length.get(), ref);
            }
        } else if (status == 416 && have > 0) {
            response.body().close();
            progress.started(ref.fileName(), have, have);
            progress.finished();
            return new Fetched(hashOf(part, have), published); // the .part is already whole
        } else {
            response.body().close();
            throw new DownloadException(explainStatus(status, ref, part.getParent()));
        }
        long start = append ? have : 0;
        if (total > settings.maxBytes()) {
            response.body().close();
            throw new DownloadException(tooLarge(ref, "announces " + total + " bytes"));
        }
        checkSpace(ref, part, total >= 0 ? total - start : 0, response);
        MessageDigest digest = append ? digestOf(part, have) : newDigest();
        progress.started(ref.fileName(), total, start);
        copy(ref, response.body(), part, append, progress, start, total, digest);
        progress.finished();
        long size = Files.size(part);
        if (total >= 0 && size != total) {
            throw new InterruptedTransfer(new IOException("the connection ended at " + size + " of " + total
                    + " bytes"));
        }
        return new Fetched(HexFormat.of().formatHex(digest.digest()), published);
    }

    /** A size header's value, or a clear refusal (never the parser's own message). */
    private static long size(HttpResponse<InputStream> response, String header, String value, ModelReference.Remote ref)
            throws DownloadException, IOException {
        String v = value.trim();
        if (v.matches("\\d{1,18}")) {
            return Long.parseLong(v);
        }
        response.body().close();
        String shown = v.length() > 40 ? v.substring(0, 40) + "…" : v;
        throw new DownloadException("cannot download " + ref.url() + ": the server sent an invalid " + header
                + " header (" + (v.matches("\\d+") ? "a number too large to be a file size" : "'" + shown + "'")
                + ")");
    }

    /** Refuses a download the disk cannot hold, before its first byte. */
    private void checkSpace(ModelReference.Remote ref, Path part, long needed, HttpResponse<InputStream> response)
            throws DownloadException, IOException {
        long free = freeSpace.usable(part.getParent());
        if (free - needed < MIN_FREE_BYTES) {
            response.body().close();
            throw new DownloadException("cannot download " + ref.url() + ": " + (needed > 0
                    ? "it needs " + megabytes(needed) + " but " : "")
                    + part.getParent() + " has only " + megabytes(free) + " free (at least "
                    + megabytes(MIN_FREE_BYTES) + " must stay free); free some space or choose another --models-dir");
        }
    }

    private HttpResponse<InputStream> send(URI url, ModelReference.Remote ref, Path directory, long have)
            throws DownloadException, IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).GET()
                .timeout(settings.answerTimeout())
                .header("User-Agent", settings.userAgent());
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        // the token goes to Hugging Face itself, never to the CDN, nor to another port or scheme of the same host
        if (settings.hfToken() != null && !settings.hfToken().isBlank() && ref.huggingFace()
                && ModelReference.sameOrigin(url, ref.url())) {
            request.header("Authorization", "Bearer " + settings.hfToken());
        }
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            throw new DownloadException(cannotDownload(url, "the connection timed out", ref, directory));
        } catch (HttpTimeoutException e) {
            throw new DownloadException(cannotDownload(url, "no answer within " + settings.answerTimeout().toSeconds()
                    + " s", ref, directory));
        } catch (IOException e) {
            throw new DownloadException(cannotDownload(url, describe(e), ref, directory));
        } catch (IllegalArgumentException e) {
            // the JDK's own parse of the answer, e.g. Content-Length: abc, reports only "For input string"
            throw new DownloadException("cannot download " + url + ": the server's answer is malformed (an invalid "
                    + (numberFormat(e) ? "Content-Length or other number" : "header") + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException("the download of " + url + " was interrupted");
        }
    }

    private void copy(ModelReference.Remote ref, InputStream body, Path part, boolean append, Progress progress,
                      long start, long total, MessageDigest digest)
            throws InterruptedTransfer, IOException, DownloadException {
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
        long limit = total >= 0 ? total : settings.maxBytes();
        long written = start;
        try (InputStream in = body;
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[1 << 16];
            byte[] head = new byte[MAGIC.length];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                if (written + n > limit) {
                    in.close();
                    out.close();
                    Files.deleteIfExists(part);
                    throw new DownloadException(total >= 0
                            ? "the download of " + ref.url() + " was stopped: the server sent more than the " + total
                            + " bytes it announced; the partial file was deleted"
                            : tooLarge(ref, "sent more than " + limit + " bytes without announcing a size")
                            + "; the partial file was deleted");
                }
                if (!append && written < MAGIC.length) {
                    int k = (int) Math.min(n, MAGIC.length - written);
                    System.arraycopy(buffer, 0, head, (int) written, k);
                    if (written + k == MAGIC.length && !Arrays.equals(head, MAGIC)) {
                        in.close();
                        out.close();
                        Files.deleteIfExists(part);
                        throw new DownloadException(notGguf(ref, head));
                    }
                }
                out.write(buffer, 0, n);
                digest.update(buffer, 0, n);
                written += n;
                lastByteNanos.set(System.nanoTime());
                if (freeSpace.usable(part.getParent()) < MIN_FREE_BYTES) {
                    throw new DownloadException("the download of " + ref.url() + " was stopped after " + written
                            + " bytes: the disk holding " + part.getParent() + " is nearly full (less than "
                            + megabytes(MIN_FREE_BYTES) + " free); free some space and run the same command "
                            + "again to resume it");
                }
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

    private static String notGguf(ModelReference.Remote ref, byte[] head) {
        StringBuilder shown = new StringBuilder();
        for (byte b : head) {
            shown.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format(Locale.ROOT, "\\x%02x", b));
        }
        boolean html = head[0] == '<' || head[0] == '{';
        return "the file at " + ref.url() + " is not a GGUF model: it starts with \"" + shown + "\", not \"GGUF\""
                + (html ? " (an error or login page?)" : "") + "; the download was stopped and nothing was kept";
    }

    private String tooLarge(ModelReference.Remote ref, String what) {
        return "the download of " + ref.url() + " was refused: the server " + what + ", more than "
                + "--max-model-bytes (" + settings.maxBytes() + ")";
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static Path verifyAndKeep(ModelReference.Remote ref, Path part, Path target, String actual,
                                      String expectedSha256) throws DownloadException, IOException {
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
        return hashOf(file, Long.MAX_VALUE);
    }

    private static String hashOf(Path file, long bytes) throws IOException {
        return HexFormat.of().formatHex(digestOf(file, bytes).digest());
    }

    /** A digest fed with the first {@code bytes} of a file: where a resumed download goes on from. */
    private static MessageDigest digestOf(Path file, long bytes) throws IOException {
        MessageDigest digest = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            long left = bytes;
            for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) >= 0; left -= n) {
                digest.update(buffer, 0, n);
            }
        }
        return digest;
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256Of(String etag) {
        Matcher m = SHA256.matcher(etag.trim());
        return m.matches() ? m.group(1).toLowerCase(Locale.ROOT) : null;
    }

    private static Optional<String> header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name);
    }

    private static String explainStatus(int status, ModelReference.Remote ref, Path directory) {
        String why = switch (status) {
            case 401, 403 -> "access denied (HTTP " + status + "): a gated or private repository needs a token in "
                    + "HF_TOKEN";
            case 404 -> "not found (HTTP 404): check the repository and file name";
            case 429 -> "too many requests (HTTP 429): try again later";
            default -> "the server answered HTTP " + status;
        };
        return cannotDownload(ref.url(), why, ref, directory);
    }

    /** What a user without network (or behind a proxy) can do: all of it in one line. */
    private static String cannotDownload(URI url, String reason, ModelReference.Remote ref, Path directory) {
        String size = ModelReference.knownSize(ref.fileName()).map(s -> " (" + s + ")").orElse("");
        return "cannot download " + url + ": " + reason + ". Check the network or proxy (-Dhttps.proxyHost=…)"
                + (ref.huggingFace() ? ", or set HF_ENDPOINT to a Hugging Face mirror" : "")
                + "; or download " + ref.url() + size + " yourself and save it as "
                + directory.resolve(ref.fileName()) + ", where the same command finds it, or start with --model PATH";
    }

    private static boolean numberFormat(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof NumberFormatException || String.valueOf(t.getMessage()).startsWith("For input string")) {
                return true;
            }
        }
        return false;
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
