package dev.ggufserver.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.ggufserver.server.HttpOptions;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.support.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A user's own page on another origin calls the API from headless Chromium the way the official OpenAI JS SDK
 * does (with its {@code x-stainless-*} headers): allowed by {@code --cors-origins}, it reads the answer; from an
 * origin not on the list, the browser gets nothing.
 */
class CorsBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private static HttpServer pages;
    private static TestServer api;
    private static ChromeDriver driver;

    @BeforeAll
    static void start() throws IOException {
        assertThat(CHROMIUM).as("Debian's chromium must be installed (.ci/run installs it)").exists();
        pages = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        pages.createContext("/", exchange -> {
            byte[] page = "<!doctype html><title>my app</title>".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(page);
            }
        });
        pages.start();
        HttpOptions options = HttpOptions.defaults().withApiKeys(List.of("k"))
                .withCorsOrigins(List.of("http://127.0.0.1:" + pages.getAddress().getPort()));
        api = TestServer.serving(new FakeEngine(4096, 2).script("</think>hello from afar"), options);

        ChromeOptions chrome = new ChromeOptions();
        chrome.setBinary(CHROMIUM.toFile());
        chrome.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + Files.createTempDirectory("chromium-cors"));
        driver = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build(), chrome);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (api != null) {
            api.close();
        }
        if (pages != null) {
            pages.stop(0);
        }
    }

    /** What the page's fetch gave: the answer's content, or "failed: …". */
    private static String callFrom(String pageOrigin) {
        driver.get(pageOrigin + "/");
        return (String) driver.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                fetch(arguments[0] + '/v1/chat/completions', {
                  method: 'POST',
                  headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer k',
                            'x-stainless-os': 'Linux', 'x-stainless-lang': 'js',
                            'x-stainless-package-version': '4.0.0'},
                  body: JSON.stringify({model: 'm', messages: [{role: 'user', content: 'hi'}]})
                }).then(r => r.json()).then(j => done(j.choices[0].message.content))
                  .catch(e => done('failed: ' + e));
                """, api.url());
    }

    @Test
    void anAllowedPageCallsWithTheSdkHeadersAndReadsTheAnswer() {
        assertThat(callFrom("http://127.0.0.1:" + pages.getAddress().getPort())).isEqualTo("hello from afar");
    }

    @Test
    void aPageOnAnOriginNotAllowedGetsNothing() {
        // the same page server under another name is another origin
        assertThat(callFrom("http://localhost:" + pages.getAddress().getPort())).startsWith("failed: ");
    }
}
