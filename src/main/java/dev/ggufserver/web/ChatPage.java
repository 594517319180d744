package dev.ggufserver.web;

import io.javalin.config.JavalinConfig;
import io.javalin.http.staticfiles.Location;
import java.util.Map;

/**
 * The chat page at {@code /}: static files from the classpath ({@code src/main/resources/web}) and its libraries
 * (marked, DOMPurify, highlight.js, KaTeX) from webjars under {@code /webjars}. No build step and no CDN, so the page
 * works offline; it talks to {@code /v1/chat/completions} like any other client.
 */
public final class ChatPage {
    /** KaTeX lays formulas out with style attributes: those are allowed, style elements and inline script are not. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "style-src-attr 'unsafe-inline'; "
            + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";

    private ChatPage() {
    }

    public static void register(JavalinConfig config) {
        config.staticFiles.add(files -> {
            files.hostedPath = "/";
            files.directory = "/web";
            files.location = Location.CLASSPATH;
            files.headers = Map.of(
                    "Cache-Control", "no-cache",
                    // the page has no inline script or style: everything it loads comes from this server
                    "Content-Security-Policy", CONTENT_SECURITY_POLICY);
        });
        config.staticFiles.enableWebjars();
    }
}
