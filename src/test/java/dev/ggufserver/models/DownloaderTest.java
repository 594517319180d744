package dev.ggufserver.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ggufserver.support.FileHost;
import dev.ggufserver.testmodel.TinyModel;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real HTTP against a local host shaped like Hugging Face: resume, checksums, redirects, failures. */
class DownloaderTest {
    private static final byte[] MODEL = TinyModel.build(TinyModel.officialTemplate());
    private static final String FILE = "tiny-r1.gguf";

    @TempDir
    Path dir;
    private final FileHost host = new FileHost().file(FILE, MODEL);
    private final List<Long> progress = new ArrayList<>();

    @AfterEach
    void stop() {
        host.close();
    }

    private Downloader downloader(Duration answer, Duration stall, String token) {
        return new Downloader(new Downloader.Settings(Duration.ofSeconds(5), answer, stall, token, "test"));
    }

    private Downloader downloader() {
        return downloader(Duration.ofSeconds(10), Duration.ofSeconds(10), "hf_secret");
    }

    private ModelReference.Remote ref(String text) {
        return (ModelReference.Remote) ModelReference.parse(text, URI.create(host.endpoint()));
    }

    private final Downloader.Progress recorder = new Downloader.Progress() {
        @Override
        public void started(String name, long total, long already) {
            progress.add(-total);
        }

        @Override
        public void advanced(long bytesSoFar) {
            progress.add(bytesSoFar);
        }

        @Override
        public void finished() {
        }
    };

    private Path download(Downloader d, String reference, String sha) throws Exception {
        return d.download(ref(reference), dir, sha, recorder);
    }

    /** The same, with another Hugging Face endpoint. */
    private Path download(Downloader d, String reference, String sha, String endpoint) throws Exception {
        return d.download((ModelReference.Remote) ModelReference.parse(reference, URI.create(endpoint)), dir, sha,
                recorder);
    }

    private void assertNothingLeftBut(String... names) throws IOException {
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder(names);
        }
    }

    @Test
    void downloadsVerifiesAndRenamesAtomically() throws Exception {
        Path file = download(downloader(), "hf:owner/repo/" + FILE, null);

        assertThat(file).isEqualTo(dir.resolve(FILE));
        assertThat(Files.readAllBytes(file)).isEqualTo(MODEL);
        assertThat(ModelStore.knownSha256(file)).contains(FileHost.sha256(MODEL));
        assertNothingLeftBut(FILE, FILE + ".sha256");
        assertThat(progress.get(0)).isEqualTo(-MODEL.length); // the size was known up front
        assertThat(progress.get(progress.size() - 1)).isEqualTo(MODEL.length);
        // Hugging Face gets the token, the CDN it redirects to does not
        assertThat(host.requests).extracting(FileHost.Seen::path, FileHost.Seen::authorization).containsExactly(
                org.assertj.core.groups.Tuple.tuple("/owner/repo/resolve/main/" + FILE, "Bearer hf_secret"),
                org.assertj.core.groups.Tuple.tuple("/cdn/" + FILE, null));
    }

    @Test
    void aRevisionGoesIntoTheUrl() throws Exception {
        download(downloader(), "hf:owner/repo/" + FILE + "@v1.2", null);

        assertThat(host.requests.get(0).path()).isEqualTo("/owner/repo/resolve/v1.2/" + FILE);
    }

    @Test
    void resumesWithARangeAfterTheConnectionIsCut() throws Exception {
        host.cutOnceAt(MODEL.length / 2);

        Path file = download(downloader(), "hf:owner/repo/" + FILE, null);

        assertThat(Files.readAllBytes(file)).isEqualTo(MODEL);
        List<String> ranges = host.requests.stream().filter(r -> r.path().startsWith("/cdn/"))
                .map(FileHost.Seen::range).toList();
        assertThat(ranges).hasSize(2);
        assertThat(ranges.get(0)).isNull();
        assertThat(ranges.get(1)).startsWith("bytes=").endsWith("-");
        long resumedAt = Long.parseLong(ranges.get(1).substring(6, ranges.get(1).length() - 1));
        assertThat(resumedAt).isPositive().isLessThanOrEqualTo(MODEL.length / 2);
    }

    @Test
    void resumesAPartLeftByAnEarlierRun() throws Exception {
        Files.write(dir.resolve(FILE + ".part"), Arrays.copyOf(MODEL, 100_000));

        Path file = download(downloader(), host.cdnUrl(FILE), FileHost.sha256(MODEL));

        assertThat(Files.readAllBytes(file)).isEqualTo(MODEL);
        assertThat(host.requests).extracting(FileHost.Seen::range).containsExactly("bytes=100000-");
    }

    @Test
    void aChecksumMismatchDeletesThePartAndLeavesNoModel() {
        host.publishSha256("ab".repeat(32));

        assertThatThrownBy(() -> download(downloader(), "hf:owner/repo/" + FILE, null))
                .isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining("SHA-256").hasMessageContaining("ab".repeat(32))
                .hasMessageContaining("deleted");
        assertThat(dir.resolve(FILE)).doesNotExist();
        assertThat(dir.resolve(FILE + ".part")).doesNotExist();
    }

    @Test
    void theUsersChecksumWinsOverThePublishedOne() {
        assertThatThrownBy(() -> download(downloader(), "hf:owner/repo/" + FILE, "cd".repeat(32)))
                .isInstanceOf(Downloader.DownloadException.class).hasMessageContaining("cd".repeat(32));
        assertThat(dir.resolve(FILE)).doesNotExist();
    }

    @Test
    void notFoundSaysSoAndWhatToDo() throws IOException {
        assertThatThrownBy(() -> download(downloader(), "hf:owner/repo/missing.gguf", null))
                .isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining("/owner/repo/resolve/main/missing.gguf")
                .hasMessageContaining("not found").hasMessageContaining("--model PATH");
        assertNothingLeftBut();
    }

    @Test
    void aServerThatNeverAnswersTimesOutClearly() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread acceptor = new Thread(() -> {
                List<Socket> open = new ArrayList<>();
                try {
                    while (true) {
                        open.add(silent.accept()); // accept, read nothing, answer nothing
                    }
                } catch (IOException ignored) {
                    // closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();

            assertThatThrownBy(() -> download(downloader(Duration.ofSeconds(1), Duration.ofSeconds(10), null),
                    "http://127.0.0.1:" + silent.getLocalPort() + "/m/" + FILE, null))
                    .isInstanceOf(Downloader.DownloadException.class)
                    .hasMessageContaining("no answer within 1 s");
        }
        assertNothingLeftBut();
    }

    @Test
    void aStalledTransferIsCutAndThePartKeptForLater() throws Exception {
        host.stallAt(200_000);

        assertThatThrownBy(() -> download(downloader(Duration.ofSeconds(10), Duration.ofSeconds(1), null),
                host.cdnUrl(FILE), null))
                .isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining("interrupted").hasMessageContaining("no data for 1 s")
                .hasMessageContaining("run the same command again to resume");
        assertThat(dir.resolve(FILE)).doesNotExist();
        byte[] part = Files.readAllBytes(dir.resolve(FILE + ".part"));
        assertThat(part.length).isBetween(100_000, 200_000); // what arrived before the stall, kept to resume
        assertThat(part).isEqualTo(Arrays.copyOf(MODEL, part.length));
    }

    @Test
    void offlineIsOneClearMessage() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        assertThatThrownBy(() -> download(downloader(), "http://127.0.0.1:" + closedPort + "/" + FILE, null))
                .isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining("http://127.0.0.1:" + closedPort + "/" + FILE)
                .hasMessageContaining("refused").hasMessageContaining("--model PATH")
                .hasMessageContaining("save it as " + dir.resolve(FILE) + ", where the same command finds it")
                .hasMessageNotContaining("HF_ENDPOINT"); // not a Hugging Face download
    }

    @Test
    void anUnreachableHuggingFaceSuggestsAMirrorAndWhereToSaveTheFile() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        assertThatThrownBy(() -> download(downloader(), ModelReference.DEFAULT, null, "http://127.0.0.1:" + closedPort))
                .isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining("refused").hasMessageContaining("HF_ENDPOINT")
                .hasMessageContaining("(1.12 GB)")
                .hasMessageContaining("save it as " + dir.resolve(ModelReference.DEFAULT_FILE));
    }

    @Test
    void aFileThatIsNotAModelIsRejectedAndDeleted() throws IOException {
        byte[] broken = Arrays.copyOf(MODEL, 4096); // the magic, then a header cut short
        host.file("broken.gguf", broken);

        assertThatThrownBy(() -> download(downloader(), "hf:owner/repo/broken.gguf", null))
                .isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining("not a usable GGUF model");
        assertNothingLeftBut();
    }

    @Test
    void aBodyWithoutTheGgufMagicIsRefusedBeforeAnyByteIsWritten() throws IOException {
        byte[] page = ("<html>" + "This is a login page. ".repeat(50_000) + "</html>").getBytes();
        host.file("fake.gguf", page);

        assertThatThrownBy(() -> download(downloader(), "hf:owner/repo/fake.gguf", null))
                .isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining("is not a GGUF model").hasMessageContaining("starts with \"<htm\"")
                .hasMessageContaining("error or login page");
        assertThat(progress).as("nothing was written").containsExactly((long) -page.length);
        assertNothingLeftBut();
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBodyWithoutALengthStopsAtTheCap() throws Exception {
        try (HostileHost forever = new HostileHost(r -> "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
                r -> HostileHost.longGguf())) {
            Downloader capped = new Downloader(new Downloader.Settings(Duration.ofSeconds(5), Duration.ofSeconds(10),
                    Duration.ofSeconds(10), null, "test").withMaxBytes(1_000_000));

            assertThatThrownBy(() -> download(capped, forever.url("/forever.gguf"), null))
                    .isInstanceOf(Downloader.DownloadException.class)
                    .hasMessageContaining("sent more than 1000000 bytes without announcing a size")
                    .hasMessageContaining("--max-model-bytes").hasMessageContaining("deleted");
        }
        assertThat(progress.get(progress.size() - 1)).isLessThanOrEqualTo(1_000_000);
        assertNothingLeftBut();
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBodyLongerThanTheAnnouncedSizeIsStopped() throws Exception {
        try (HostileHost liar = new HostileHost(r -> r.get(0).contains("/resolve/")
                        ? "HTTP/1.1 302 Found\r\nX-Linked-Size: 100000\r\nLocation: /cdn/x.gguf\r\n"
                        + "Content-Length: 0\r\n\r\n"
                        : "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
                r -> r.get(0).contains("/resolve/") ? HostileHost.nothing() : HostileHost.longGguf())) {
            assertThatThrownBy(() -> download(downloader(), "hf:o/r/x.gguf",
                    null, liar.url("")))
                    .isInstanceOf(Downloader.DownloadException.class)
                    .hasMessageContaining("sent more than the 100000 bytes it announced");
        }
        assertNothingLeftBut();
    }

    @Test
    void anAnnouncedSizeAboveTheCapIsRefusedBeforeTheBody() throws Exception {
        try (HostileHost huge = new HostileHost(r -> "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n",
                r -> HostileHost.nothing())) {
            assertThatThrownBy(() -> download(downloader(Duration.ofSeconds(10), Duration.ofSeconds(1), null),
                    huge.url("/huge.gguf"), null))
                    .isInstanceOf(Downloader.DownloadException.class)
                    .hasMessageContaining("announces 1000000000000000 bytes").hasMessageContaining("--max-model-bytes");
            assertThat(huge.requests).hasSize(1); // refused, not retried
        }
        assertNothingLeftBut();
    }

    @Test
    void invalidSizeHeadersAreRefusedWithAClearMessage() throws Exception {
        Map<String, String> heads = Map.of(
                "HTTP/1.1 302 Found\r\nX-Linked-Size: abc\r\nLocation: /cdn/x.gguf\r\nContent-Length: 0\r\n\r\n",
                "invalid X-Linked-Size header ('abc')",
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-9/" + "9".repeat(40)
                        + "\r\nContent-Length: 10\r\n\r\n",
                "invalid Content-Range header (a number too large to be a file size)",
                "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", "malformed (an invalid Content-Length");
        SoftAssertions softly = new SoftAssertions();
        for (Map.Entry<String, String> c : heads.entrySet()) {
            try (HostileHost odd = new HostileHost(r -> c.getKey(), r -> HostileHost.nothing())) {
                softly.assertThatThrownBy(() -> download(downloader(), "hf:o/r/x.gguf", null, odd.url("")))
                        .as(c.getValue())
                        .isInstanceOf(Downloader.DownloadException.class)
                        .hasMessageContaining(c.getValue()).hasMessageNotContaining("For input string");
            }
        }
        softly.assertAll();
    }

    @Test
    void anAnnouncedSizeTheDiskCannotHoldIsRefusedBeforeTheBody() throws Exception {
        Downloader nearlyFull = new Downloader(new Downloader.Settings(Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), null, "test"), d -> Downloader.MIN_FREE_BYTES + MODEL.length / 2);

        assertThatThrownBy(() -> download(nearlyFull, "hf:owner/repo/" + FILE, null))
                .isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining(String.format(Locale.ROOT, "it needs %.1f MB", MODEL.length / 1e6))
                .hasMessageContaining("free some space");
        assertThat(progress).isEmpty();
        assertNothingLeftBut();
    }

    @Test
    void aDiskThatFillsUpStopsTheDownloadAndKeepsThePartToResume() throws Exception {
        AtomicLong free = new AtomicLong(10_000_000_000L);
        Downloader filling = new Downloader(new Downloader.Settings(Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), null, "test"), d -> free.get());
        Downloader.Progress fillsTheDisk = new Downloader.Progress() {
            @Override
            public void started(String name, long total, long already) {
            }

            @Override
            public void advanced(long bytesSoFar) {
                free.set(Downloader.MIN_FREE_BYTES - 1); // someone else filled the disk meanwhile
            }

            @Override
            public void finished() {
            }
        };

        assertThatThrownBy(() -> filling.download(ref(host.cdnUrl(FILE)), dir, null, fillsTheDisk))
                .isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining("nearly full").hasMessageContaining("run the same command again to resume");
        long kept = Files.size(dir.resolve(FILE + ".part"));
        assertThat(kept).isPositive().isLessThan(MODEL.length);
        assertThat(dir.resolve(FILE)).doesNotExist();
    }

    @Test
    void theTokenGoesToTheEndpointsOwnPortOnly() throws Exception {
        String sha = FileHost.sha256(MODEL);
        // the "Hugging Face endpoint" sends the client to another port of the same host
        try (HostileHost endpoint = new HostileHost(r -> "HTTP/1.1 302 Found\r\nX-Linked-Etag: \"" + sha
                + "\"\r\nLocation: " + host.endpoint() + "/cdn/" + FILE + "\r\nContent-Length: 0\r\n\r\n",
                r -> HostileHost.nothing())) {
            Path file = download(downloader(), "hf:owner/repo/" + FILE, null, endpoint.url(""));

            assertThat(Files.readAllBytes(file)).isEqualTo(MODEL);
            assertThat(HostileHost.header(endpoint.requests.get(0), "Authorization")).isEqualTo("Bearer hf_secret");
        }
        assertThat(host.requests).extracting(FileHost.Seen::path, FileHost.Seen::authorization).containsExactly(
                org.assertj.core.groups.Tuple.tuple("/cdn/" + FILE, null));
    }

    @Test
    void aResumedDownloadHashesThePartItResumesFrom() throws Exception {
        byte[] corrupt = Arrays.copyOf(MODEL, 100_000);
        corrupt[50_000] ^= 1; // a bit flipped in the part left by an earlier run

        Files.write(dir.resolve(FILE + ".part"), corrupt);

        assertThatThrownBy(() -> download(downloader(), "hf:owner/repo/" + FILE, null))
                .isInstanceOf(Downloader.DownloadException.class).hasMessageContaining("is corrupt");
        assertThat(host.requests).extracting(FileHost.Seen::range).contains("bytes=100000-");
        assertNothingLeftBut();
    }

    @Test
    void aLockFileLeftByAKilledDownloadIsTakenOverAndRemoved() throws Exception {
        Files.writeString(dir.resolve(FILE + ".lock"), "12345 left by a killed pull\n");

        Path file = download(downloader(), "hf:owner/repo/" + FILE, null);

        assertThat(Files.readAllBytes(file)).isEqualTo(MODEL);
        assertNothingLeftBut(FILE, FILE + ".sha256");
    }

    @Test
    void aSecondDownloadOfTheSameFileIsRefusedWhileTheFirstRuns() throws Exception {
        try (DownloadLock first = DownloadLock.tryAcquire(dir.resolve(FILE + ".lock"))) {
            assertThat(first).isNotNull();

            assertThatThrownBy(() -> download(downloader(), "hf:owner/repo/" + FILE, null))
                    .isInstanceOf(Downloader.DownloadException.class)
                    .hasMessageContaining("another download of " + FILE + " is in progress");
        }
        assertThat(host.requests).isEmpty();
    }

    @Test
    void aModelAlreadyInTheDirectoryNeedsNoNetwork() throws Exception {
        Files.write(dir.resolve(FILE), MODEL);
        ModelStore store = new ModelStore(dir);

        Path file = store.resolve(ModelReference.parse("hf:nobody/nothing/" + FILE, URI.create("http://127.0.0.1:9")),
                downloader(), null, recorder);

        assertThat(file).isEqualTo(dir.resolve(FILE));
        assertThat(host.requests).isEmpty();
    }
}
