package dev.ggufserver.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.generation.RunStats;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.support.TestServer;
import dev.ggufserver.testmodel.TinyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat page in Debian's headless Chromium against the real server and native engine on the tiny scripted
 * model. Screenshots of a finished answer (light and dark) land in target/screenshots.
 */
class ChatPageBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private static ChromeDriver driver;
    private static GgufServer server;
    private static String url;

    @BeforeAll
    static void startBrowser() throws IOException {
        assertThat(CHROMIUM).as("Debian's chromium must be installed (.ci/run installs it)").exists();
        assertThat(CHROMEDRIVER).as("Debian's chromium-driver must be installed (.ci/run installs it)").exists();
        server = RealServers.server(RealServers.tinyModel(), 256, 2);
        url = "http://127.0.0.1:" + server.port();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,800",
                "--user-data-dir=" + Files.createTempDirectory("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stopBrowser() {
        if (driver != null) {
            driver.quit();
        }
    }

    @BeforeEach
    void freshPage() {
        driver.manage().window().setSize(new Dimension(1280, 800));
        driver.get(url + "/");
        js("localStorage.clear()");
        driver.navigate().refresh();
        waitFor(ExpectedConditions.textToBe(By.id("status"), "Ready · tiny-r1"));
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    private static <T> T waitFor(java.util.function.Function<org.openqa.selenium.WebDriver, T> condition) {
        // the page re-renders messages when an answer ends, so elements found a moment ago may be replaced
        return new WebDriverWait(driver, Duration.ofSeconds(30))
                .ignoring(StaleElementReferenceException.class)
                .until(condition::apply);
    }

    private static void type(String text) {
        WebElement input = driver.findElement(By.id("input"));
        input.sendKeys(text);
        input.sendKeys(Keys.ENTER);
    }

    private static WebElement lastAssistant() {
        List<WebElement> all = driver.findElements(By.cssSelector(".message.assistant"));
        assertThat(all).isNotEmpty();
        return all.get(all.size() - 1);
    }

    private static String text(WebElement root, String css) {
        return root.findElement(By.cssSelector(css)).getAttribute("textContent").strip();
    }

    /** Waits until the answer has finished (the Send button is back). */
    private static WebElement awaitAnswer() {
        waitFor(d -> d.findElement(By.id("send")).isDisplayed());
        return lastAssistant();
    }

    @Test
    void enterSendsAndTheThinkingStreamsApartFromTheAnswer() throws IOException {
        WebElement input = driver.findElement(By.id("input"));
        input.sendKeys("first line");
        input.sendKeys(Keys.chord(Keys.SHIFT, Keys.ENTER));
        input.sendKeys("second line");
        assertThat(input.getAttribute("value")).isEqualTo("first line\nsecond line");
        assertThat(driver.findElements(By.cssSelector(".message"))).isEmpty(); // Shift+Enter did not send
        input.clear();

        type("hi");
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        WebElement answer = awaitAnswer();

        assertThat(text(answer, ".thinking-text")).isEqualTo(TinyModel.THINKING);
        assertThat(text(answer, ".content")).isEqualTo(TinyModel.ANSWER);
        WebElement thinking = answer.findElement(By.cssSelector(".thinking"));
        assertThat(thinking.getAttribute("open")).as("collapsed once the answer came").isNull();
        assertThat(text(answer, ".thinking summary")).matches("Thought for [0-9.]+ s");
        thinking.findElement(By.tagName("summary")).click();
        assertThat(thinking.getAttribute("open")).as("opens on click").isNotNull();
        assertThat(answer.findElement(By.cssSelector(".thinking-text")).isDisplayed()).isTrue();
        assertThat(text(answer, ".stats")).contains(TinyModel.CHAT_COMPLETION_TOKENS + " tokens")
                .contains("tokens/s").contains("first token");
        assertThat(driver.findElement(By.cssSelector(".message.user .content")).getText()).isEqualTo("hi");

        screenshot("chat-light.png"); // with the thought opened
        darkMode(true);
        try {
            String background = (String) js("return getComputedStyle(document.body).backgroundColor");
            assertThat(background).isEqualTo("rgb(21, 23, 27)");
            screenshot("chat-dark.png");
        } finally {
            darkMode(false);
        }
    }

    @Test
    void stopEndsAnEndlessThoughtAndTheServerFreesTheSlot() throws Exception {
        // one slot with room for 30,000 tokens: the thought goes on far longer than the test needs to press Stop
        GgufServer roomy = RealServers.server(RealServers.tinyModel(), 30_000, 1);
        driver.get("http://127.0.0.1:" + roomy.port() + "/");
        waitFor(ExpectedConditions.textToBe(By.id("status"), "Ready · tiny-r1"));
        RunStats stats = roomy.host().current().orElseThrow().runner().stats();
        long goneBefore = stats.clientGone();

        type("please loop");
        waitFor(d -> text(lastAssistant(), ".thinking-text").contains("Round and round it goes."));
        WebElement thinking = lastAssistant().findElement(By.cssSelector(".thinking"));
        assertThat(thinking.getAttribute("open")).as("open while thinking").isNotNull();
        assertThat(text(lastAssistant(), ".thinking summary")).isEqualTo("Thinking…");
        driver.findElement(By.id("stop")).click();

        WebElement stopped = awaitAnswer();
        assertThat(text(stopped, ".stats")).startsWith("Stopped");
        assertThat(text(stopped, ".thinking summary")).endsWith("(stopped)");
        assertThat(stats.awaitClientGone(goneBefore + 1, 30, TimeUnit.SECONDS)).as("server stopped generating")
                .isTrue();
        // the freed (only) slot serves the next message, in a new chat: this one's history says "loop"
        driver.findElement(By.id("new-chat")).click();
        type("hi");
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
    }

    @Test
    void conversationsSurviveAReloadAndCanBeSwitchedRenamedAndDeleted() {
        type("hi");
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        awaitAnswer();
        driver.findElement(By.id("new-chat")).click();
        assertThat(driver.findElements(By.cssSelector(".message"))).isEmpty();
        type("hello again");
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        awaitAnswer();

        driver.navigate().refresh();
        waitFor(ExpectedConditions.numberOfElementsToBe(By.cssSelector(".conversations li"), 2));
        assertThat(driver.findElement(By.id("chat-title")).getText()).isEqualTo("hello again");
        assertThat(text(lastAssistant(), ".content")).isEqualTo(TinyModel.ANSWER);
        assertThat(text(lastAssistant(), ".thinking-text")).isEqualTo(TinyModel.THINKING);

        driver.findElements(By.cssSelector(".conversations .open-chat")).stream()
                .filter(b -> b.getText().equals("hi")).findFirst().orElseThrow().click();
        assertThat(driver.findElement(By.cssSelector(".message.user .content")).getText()).isEqualTo("hi");

        driver.findElement(By.cssSelector(".conversations li.current .rename")).click();
        driver.switchTo().alert().sendKeys("Greetings");
        driver.switchTo().alert().accept();
        assertThat(driver.findElement(By.id("chat-title")).getText()).isEqualTo("Greetings");

        driver.findElement(By.cssSelector(".conversations li.current .delete")).click();
        driver.switchTo().alert().accept();
        driver.navigate().refresh();
        waitFor(ExpectedConditions.numberOfElementsToBe(By.cssSelector(".conversations li"), 1));
        assertThat(driver.findElement(By.cssSelector(".conversations .open-chat")).getText()).isEqualTo("hello again");
    }

    @Test
    void markdownRendersAsHtmlAndScriptsInAnswersNeverRun() {
        type("markdown please");
        waitFor(d -> !d.findElements(By.cssSelector(".message.assistant .content table")).isEmpty());
        WebElement answer = awaitAnswer();

        assertThat(answer.findElement(By.cssSelector(".content h2")).getText()).isEqualTo("Plan");
        assertThat(answer.findElement(By.cssSelector(".content li strong")).getText()).isEqualTo("bold");
        assertThat(answer.findElements(By.cssSelector(".content table td"))).hasSize(2);
        WebElement code = answer.findElement(By.cssSelector(".content pre code"));
        assertThat(code.getAttribute("class")).contains("hljs").contains("language-python");
        assertThat(code.findElements(By.cssSelector("span"))).as("syntax highlighted").isNotEmpty();
        assertThat(answer.findElement(By.cssSelector(".content pre .copy-code")).getText()).isEqualTo("Copy");

        assertThat(driver.findElements(By.cssSelector(".messages script"))).isEmpty();
        assertThat(answer.findElements(By.cssSelector(".content [onerror]"))).isEmpty();
        assertThat(js("return typeof window.__injected")).isEqualTo("undefined");
    }

    /**
     * R1 distills write LaTeX: it renders with KaTeX in the answer and in the thinking, inline and displayed, while
     * dollar amounts, code and escaped dollars stay text, and script inside a formula never runs.
     */
    @Test
    void formulasRenderWithKatexButDollarAmountsAndCodeStayText() {
        String answer = "The area is $\\pi r^2$ and \\(a_1 + a_2\\). It costs $5 and $10, not \\$3.\n\n"
                + "$$\\frac{1}{2}$$\n\nSo the answer is \\boxed{42}.\n\n`$x$ stays code`\n\n"
                + "```\n$$not math$$\n```\n\n$\\text{<img src=x onerror=\"window.__injected = true\">}$";
        String thought = "First \\(x^2\\), then $20 for it.";
        js("localStorage.setItem('gguf-server.conversations', JSON.stringify([{id: 'm1', title: 'math', updatedAt: 1,"
                + "messages: [{role: 'user', content: 'area?'}, {role: 'assistant', content: arguments[0],"
                + "reasoning: arguments[1], thinkingMs: 1000}]}]));"
                + "localStorage.setItem('gguf-server.current', JSON.stringify('m1'));", answer, thought);
        driver.navigate().refresh();
        WebElement message = waitFor(d -> d.findElement(By.cssSelector(".message.assistant")));
        WebElement content = message.findElement(By.cssSelector(".content"));

        List<WebElement> formulas = content.findElements(By.cssSelector(".katex"));
        assertThat(formulas).as(content.getAttribute("innerHTML")).hasSize(4); // pi r^2, a_1 + a_2, 1/2, boxed
        // KaTeX refuses the last one (an underscore in \text): it shows the source as text, marked as an error
        assertThat(content.findElements(By.cssSelector(".katex-error"))).hasSize(1);
        assertThat(content.findElements(By.cssSelector(".katex-display"))).hasSize(1);
        assertThat(content.findElements(By.cssSelector(".katex .fbox, .katex .boxpad"))).as("boxed").isNotEmpty();
        assertThat(formulas.get(0).getAttribute("textContent")).contains("π");
        assertThat(content.getText()).contains("It costs $5 and $10, not $3.");
        assertThat(content.findElement(By.cssSelector("p code")).getText()).isEqualTo("$x$ stays code");
        assertThat(content.findElement(By.cssSelector("pre code")).getText()).isEqualTo("$$not math$$");
        assertThat(content.findElements(By.cssSelector("pre .katex, p code .katex"))).isEmpty();
        assertThat(content.findElements(By.cssSelector("img, [onerror]"))).isEmpty();
        assertThat(js("return typeof window.__injected")).isEqualTo("undefined");

        WebElement thinking = message.findElement(By.cssSelector(".thinking-text"));
        assertThat(thinking.findElements(By.cssSelector(".katex"))).hasSize(1);
        assertThat(thinking.getAttribute("textContent")).contains("then $20 for it.");
    }

    /** The thinking control beside the message box says how much to think, is remembered, and is what is sent. */
    @Test
    void theThinkingControlIsSentAsReasoningEffortAndRemembered() throws Exception {
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("thinking"))).selectByValue("off");
        driver.navigate().refresh();
        waitFor(ExpectedConditions.textToBe(By.id("status"), "Ready · tiny-r1"));
        assertThat(driver.findElement(By.id("thinking")).getAttribute("value")).isEqualTo("off");
        js("window.__sent = []; const original = window.fetch;"
                + "window.fetch = (url, options) => { if (String(url).includes('/chat/completions')) {"
                + "window.__sent.push(options.body); } return original(url, options); };");

        type("hi");
        WebElement answer = awaitAnswer();
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));

        @SuppressWarnings("unchecked")
        List<String> sent = (List<String>) js("return window.__sent");
        var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(sent.get(0));
        assertThat(body.get("reasoning_effort").asText()).isEqualTo("none");
        assertThat(text(answer, ".content")).isEqualTo(TinyModel.ANSWER);
        assertThat(answer.findElement(By.cssSelector(".thinking")).isDisplayed()).as("no thought shown").isFalse();
        assertThat(text(answer, ".thinking-text")).isEmpty();
    }

    /** Sent chat bodies are kept in window.__sent from now on. */
    private void recordRequests() {
        js("window.__sent = []; const original = window.fetch;"
                + "window.fetch = (url, options) => { if (String(url).includes('/chat/completions')) {"
                + "window.__sent.push(options.body); } return original(url, options); };");
    }

    private String sentModel(int index) throws IOException {
        @SuppressWarnings("unchecked")
        List<String> sent = (List<String>) js("return window.__sent");
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(sent.get(index)).get("model").asText();
    }

    @Test
    void theModelPickerOffersEveryServedModelAndEachConversationKeepsItsOwn() throws Exception {
        assertThat(driver.findElement(By.id("model")).isDisplayed()).as("one model: no picker").isFalse();
        GgufServer two = RealServers.twoModels();
        driver.get("http://127.0.0.1:" + two.port() + "/");
        waitFor(ExpectedConditions.textToBe(By.id("status"), "Ready · tiny-r1"));
        WebElement picker = driver.findElement(By.id("model"));
        waitFor(ExpectedConditions.visibilityOf(picker));
        var select = new org.openqa.selenium.support.ui.Select(picker);
        assertThat(select.getOptions()).extracting(WebElement::getText).containsExactly("tiny-r1", "hermes");
        recordRequests();

        select.selectByValue("hermes");
        assertThat(text(driver.findElement(By.tagName("body")), "#status")).isEqualTo("Ready · hermes");
        type("hi");
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        awaitAnswer();
        driver.findElement(By.id("new-chat")).click();
        assertThat(picker.getAttribute("value")).as("the last choice starts a new chat").isEqualTo("hermes");
        select.selectByValue("tiny-r1");
        type("hello");
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        awaitAnswer();

        assertThat(sentModel(0)).isEqualTo("hermes");
        assertThat(sentModel(1)).isEqualTo("tiny-r1");
        driver.findElements(By.cssSelector(".conversations .open-chat")).stream()
                .filter(b -> b.getText().equals("hi")).findFirst().orElseThrow().click();
        assertThat(picker.getAttribute("value")).as("the conversation's own model").isEqualTo("hermes");
        driver.navigate().refresh();
        waitFor(ExpectedConditions.textToBe(By.id("status"), "Ready · hermes"));
        assertThat(driver.findElement(By.id("model")).getAttribute("value")).isEqualTo("hermes");
    }

    @Test
    void anEmbeddingModelIsNotOfferedForChat() {
        GgufServer mixed = RealServers.chatAndEmbeddings(); // tiny-r1 and the embedding model tiny-bert
        driver.get("http://127.0.0.1:" + mixed.port() + "/");
        waitFor(ExpectedConditions.textToBe(By.id("status"), "Ready · tiny-r1"));

        WebElement picker = driver.findElement(By.id("model"));
        assertThat(picker.isDisplayed()).as("one chat model: no picker").isFalse();
        assertThat(new org.openqa.selenium.support.ui.Select(picker).getOptions()).extracting(
                o -> o.getAttribute("value")).containsExactly("tiny-r1");
    }

    @Test
    void answerNowEndsAnEndlessThoughtAndTheAnswerComes() {
        // one roomy slot: the thought would go on far longer than the test needs to press the button
        GgufServer roomy = RealServers.server(RealServers.tinyModel(), 30_000, 1);
        driver.get("http://127.0.0.1:" + roomy.port() + "/");
        waitFor(ExpectedConditions.textToBe(By.id("status"), "Ready · tiny-r1"));
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("thinking"))).selectByValue("unlimited");

        type("please loop");
        waitFor(d -> text(lastAssistant(), ".thinking-text").contains("Round and round it goes."));
        WebElement button = driver.findElement(By.id("answer-now"));
        waitFor(ExpectedConditions.visibilityOf(button));
        button.click();

        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        WebElement answer = awaitAnswer();
        assertThat(text(answer, ".thinking-text")).startsWith("Round and round it goes.").doesNotContain("think>");
        assertThat(text(answer, ".thinking summary")).startsWith("Thought for");
        assertThat(button.isDisplayed()).isFalse();
    }

    @Test
    void regenerateAndEditTheLastTurn() {
        type("hi");
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        awaitAnswer();

        lastAssistant().findElement(By.xpath(".//button[text()='Regenerate']")).click();
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        awaitAnswer();
        assertThat(driver.findElements(By.cssSelector(".message"))).hasSize(2);

        driver.findElement(By.cssSelector(".message.user")).findElement(By.xpath(".//button[text()='Edit']")).click();
        assertThat(driver.findElements(By.cssSelector(".message"))).isEmpty();
        WebElement input = driver.findElement(By.id("input"));
        assertThat(input.getAttribute("value")).isEqualTo("hi");
        input.sendKeys(" there");
        input.sendKeys(Keys.ENTER);
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        assertThat(driver.findElement(By.cssSelector(".message.user .content")).getText()).isEqualTo("hi there");
    }

    @Test
    void settingsAreKeptAndApplied() {
        driver.findElement(By.id("open-settings")).click();
        driver.findElement(By.id("max-tokens")).sendKeys("5");
        driver.findElement(By.id("system-prompt")).sendKeys("Be brief.");
        driver.findElement(By.id("save-settings")).click();
        driver.navigate().refresh();
        waitFor(ExpectedConditions.textToBe(By.id("status"), "Ready · tiny-r1"));

        type("hi");
        WebElement answer = awaitAnswer();
        waitFor(d -> text(lastAssistant(), ".stats").contains("5 tokens"));
        assertThat(text(answer, ".thinking-text")).isEqualTo("Okay, the user said");
        driver.findElement(By.id("open-settings")).click();
        assertThat(driver.findElement(By.id("max-tokens")).getAttribute("value")).isEqualTo("5");
        assertThat(driver.findElement(By.id("system-prompt")).getAttribute("value")).isEqualTo("Be brief.");
    }

    @Test
    void earlierThinkingIsNeverSentBackAndTheApiKeyGoesAsBearer() throws Exception {
        driver.findElement(By.id("open-settings")).click();
        driver.findElement(By.id("api-key")).sendKeys("sk-test-123");
        driver.findElement(By.id("save-settings")).click();
        // record what the page sends, without changing it
        js("window.__sent = []; const original = window.fetch;"
                + "window.fetch = (url, options) => { if (String(url).includes('/chat/completions')) {"
                + "window.__sent.push({body: options.body, auth: options.headers.Authorization}); }"
                + "return original(url, options); };");

        type("hi");
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        awaitAnswer();
        type("and again");
        waitFor(d -> driver.findElements(By.cssSelector(".message.assistant")).size() == 2
                && TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> sent = (List<Map<String, Object>>) js("return window.__sent");
        assertThat(sent).hasSize(2);
        assertThat(sent.get(1).get("auth")).isEqualTo("Bearer sk-test-123");
        var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree((String) sent.get(1).get("body"));
        assertThat(body.get("stream").asBoolean()).isTrue();
        assertThat(body.get("messages")).hasSize(3);
        assertThat(body.get("messages").get(1).get("role").asText()).isEqualTo("assistant");
        assertThat(body.get("messages").get(1).get("content").asText()).isEqualTo(TinyModel.ANSWER);
        assertThat(body.toString()).doesNotContain("friendly greeting").doesNotContain("reasoning_content");
        assertThat(body.get("reasoning_effort").asText()).as("the thinking control's default").isEqualTo("max");
    }

    @Test
    void everyControlHasAnAccessibleName() {
        type("hi");
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        awaitAnswer();
        driver.findElement(By.id("open-settings")).click();

        @SuppressWarnings("unchecked")
        List<String> unnamed = (List<String>) js("return [...document.querySelectorAll('button, textarea, input')]"
                + ".filter(e => !(e.getAttribute('aria-label') || e.textContent.trim()"
                + " || (e.id && document.querySelector('label[for=\"' + e.id + '\"]'))))"
                + ".map(e => e.outerHTML)");
        assertThat(unnamed).isEmpty();
        assertThat(driver.findElement(By.id("messages")).getAttribute("role")).isEqualTo("log");
    }

    @Test
    void anApiErrorIsShownInTheConversation() {
        type("word ".repeat(300));

        WebElement answer = awaitAnswer();
        waitFor(d -> lastAssistant().findElement(By.cssSelector(".error")).isDisplayed());
        assertThat(answer.findElement(By.cssSelector(".error")).getText())
                .contains("maximum context length is 256 tokens");
    }

    @Test
    void showsModelLoadingAndAnUnreachableServer() {
        TestServer loading = TestServer.loading(new ModelHost());
        try {
            driver.get(loading.url() + "/");
            waitFor(ExpectedConditions.textToBe(By.id("status"), "Model loading…"));
            type("hi");
            waitFor(d -> lastAssistant().findElement(By.cssSelector(".error")).isDisplayed());
            assertThat(text(lastAssistant(), ".error")).contains("still loading");
        } finally {
            loading.close();
        }
        type("anyone there?");
        waitFor(d -> text(lastAssistant(), ".error").contains("unreachable"));
        waitFor(ExpectedConditions.textToBe(By.id("status"), "Server unreachable"));
    }

    @Test
    void onAPhoneTheConversationsHideBehindAButton() {
        driver.manage().window().setSize(new Dimension(390, 844));
        WebElement toggle = driver.findElement(By.id("toggle-sidebar"));
        assertThat(toggle.isDisplayed()).isTrue();
        assertThat(driver.findElement(By.id("new-chat")).getRect().getX()).isNegative(); // off-screen
        toggle.click();
        waitFor(d -> d.findElement(By.id("new-chat")).getRect().getX() >= 0);
        assertThat(toggle.getAttribute("aria-expanded")).isEqualTo("true");
        type("hi");
        waitFor(d -> TinyModel.ANSWER.equals(text(lastAssistant(), ".content")));
        assertThat(lastAssistant().getRect().getWidth()).isLessThanOrEqualTo(390);
    }

    private static void darkMode(boolean dark) {
        driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
                List.of(Map.of("name", "prefers-color-scheme", "value", dark ? "dark" : "light"))));
    }

    private static void screenshot(String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name), driver.getScreenshotAs(OutputType.BYTES));
    }
}
