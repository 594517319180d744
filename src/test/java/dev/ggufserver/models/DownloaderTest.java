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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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
                .hasMessageContaining("refused").hasMessageContaining("--model PATH");
    }

    @Test
    void aFileThatIsNotAModelIsRejectedAndDeleted() throws IOException {
        host.file("fake.gguf", "<html>This is a login page</html>".getBytes());

        assertThatThrownBy(() -> download(downloader(), "hf:owner/repo/fake.gguf", null))
                .isInstanceOf(Downloader.DownloadException.class)
                .hasMessageContaining("not a usable GGUF model");
        assertNothingLeftBut();
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
