package dev.ggufserver.support;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model host on 127.0.0.1 for download tests, shaped like Hugging Face: {@code /OWNER/REPO/resolve/REV/FILE}
 * answers 302 with X-Linked-Etag (the SHA-256) and X-Linked-Size and sends the client to a "CDN" on another
 * host name ({@code localhost}), which serves the bytes with HTTP Range support. Faults on demand: cut the
 * connection once mid-file, stall mid-file, publish a wrong checksum.
 */
public final class FileHost implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    /** A request as the host saw it. */
    public record Seen(String path, String range, String authorization) {
    }

    private final Javalin app;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    public final List<Seen> requests = new CopyOnWriteArrayList<>();
    private volatile long cutOnceAt = -1;
    private volatile long stallAt = -1;
    private volatile String publishedSha256;
    private final CountDownLatch released = new CountDownLatch(1);

    public FileHost() {
        app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.routes.get("/{owner}/{repo}/resolve/{rev}/{file}", this::resolve);
            config.routes.get("/cdn/{file}", this::serve);
        }).start("127.0.0.1", 0);
    }

    public FileHost file(String name, byte[] content) {
        files.put(name, content);
        return this;
    }

    /** The next download is cut after this many bytes (then the host behaves again). */
    public FileHost cutOnceAt(long offset) {
        this.cutOnceAt = offset;
        return this;
    }

    /** Every download stalls after this many bytes. */
    public FileHost stallAt(long offset) {
        this.stallAt = offset;
        return this;
    }

    public FileHost publishSha256(String sha256) {
        this.publishedSha256 = sha256;
        return this;
    }

    /** The Hugging Face endpoint (HF_ENDPOINT) of this host. */
    public String endpoint() {
        return "http://127.0.0.1:" + app.port();
    }

    /** A direct URL of a file on the CDN side. */
    public String cdnUrl(String file) {
        return "http://localhost:" + app.port() + "/cdn/" + file;
    }

    private void resolve(Context ctx) throws Exception {
        record(ctx);
        byte[] content = files.get(ctx.pathParam("file"));
        if (content == null) {
            ctx.status(404).result("Entry not found");
            return;
        }
        String sha = publishedSha256 != null ? publishedSha256 : sha256(content);
        ctx.status(302)
                .header("X-Linked-Etag", "\"" + sha + "\"")
                .header("X-Linked-Size", String.valueOf(content.length))
                .header("Location", cdnUrl(ctx.pathParam("file")));
    }

    private void serve(Context ctx) throws IOException, InterruptedException {
        record(ctx);
        byte[] content = files.get(ctx.pathParam("file"));
        if (content == null) {
            ctx.status(404);
            return;
        }
        int start = 0;
        Matcher range = RANGE.matcher(String.valueOf(ctx.header("Range")));
        if (range.matches()) {
            start = Integer.parseInt(range.group(1));
            if (start >= content.length) {
                ctx.status(416).header("Content-Range", "bytes */" + content.length);
                return;
            }
            ctx.status(206).header("Content-Range", "bytes " + start + "-" + (content.length - 1) + "/"
                    + content.length);
        } else {
            ctx.status(200);
        }
        ctx.res().setContentLengthLong(content.length - start);
        ctx.res().setContentType("application/octet-stream");
        OutputStream out = ctx.res().getOutputStream();
        long cut = cutOnceAt;
        long stall = stallAt;
        for (int i = start; i < content.length; i += 4096) {
            int n = Math.min(4096, content.length - i);
            if (cut >= 0 && i + n > cut) {
                cutOnceAt = -1;
                out.write(content, i, (int) (cut - i));
                out.flush();
                throw new IllegalStateException("cutting the connection on purpose");
            }
            if (stall >= 0 && i + n > stall) {
                out.flush();
                released.await(60, TimeUnit.SECONDS); // never answers the rest (until the test ends)
                return;
            }
            out.write(content, i, n);
        }
    }

    private void record(Context ctx) {
        requests.add(new Seen(ctx.path(), ctx.header("Range"), ctx.header("Authorization")));
    }

    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        released.countDown();
        app.stop();
    }
}
