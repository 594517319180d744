package dev.ggufserver.models;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code --model} and {@code pull} accept: a local path, an http(s) URL, or a Hugging Face reference
 * {@code hf:OWNER/REPO/FILE.gguf[@REVISION]}.
 */
public sealed interface ModelReference permits ModelReference.Local, ModelReference.Remote {

    /** DeepSeek-R1-Distill-Qwen-1.5B in Q4_K_M from bartowski's GGUF repository (1.12 GB). */
    String DEFAULT = "hf:bartowski/DeepSeek-R1-Distill-Qwen-1.5B-GGUF/DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf";
    String DEFAULT_FILE = "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf";
    String DEFAULT_SIZE = "1.12 GB";

    /** The size to tell a user who must fetch the file by hand, where we know it. */
    static Optional<String> knownSize(String fileName) {
        return fileName.equals(DEFAULT_FILE) ? Optional.of(DEFAULT_SIZE) : Optional.empty();
    }

    /** Same scheme, host and port (the default one where none is given): who may see HF_TOKEN. */
    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getHost() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : "http".equalsIgnoreCase(uri.getScheme()) ? 80 : -1;
    }

    record Local(Path path) implements ModelReference {
    }

    /**
     * @param url          where to download from
     * @param fileName     the name it gets in the models directory
     * @param huggingFace  whether it is on the Hugging Face endpoint (scheme, host and port), which alone sees HF_TOKEN
     */
    record Remote(URI url, String fileName, boolean huggingFace) implements ModelReference {
    }

    Pattern HF = Pattern.compile("hf:([\\w.-]+)/([\\w.-]+)/([^@]+\\.gguf)(?:@([\\w./-]+))?");
    Pattern SAFE_NAME = Pattern.compile("[\\w.+-]+\\.gguf");

    /**
     * @param hfEndpoint Hugging Face's base URL (the HF_ENDPOINT variable, as huggingface_hub reads it)
     * @throws IllegalArgumentException with a message for the user when the reference is malformed
     */
    static ModelReference parse(String text, URI hfEndpoint) {
        if (text.startsWith("hf:")) {
            Matcher m = HF.matcher(text);
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + text + "' is not a Hugging Face reference of the form "
                        + "hf:OWNER/REPO/FILE.gguf[@REVISION]");
            }
            String file = m.group(3);
            String revision = m.group(4) == null ? "main" : m.group(4);
            checkSegments(text, m.group(1), m.group(2), file, revision);
            URI url = URI.create(stripSlash(hfEndpoint.toString()) + "/" + m.group(1) + "/" + m.group(2)
                    + "/resolve/" + revision + "/" + file);
            return new Remote(url, checkName(lastSegment(file), text), true);
        }
        if (text.startsWith("http://") || text.startsWith("https://")) {
            URI url;
            try {
                url = new URI(text);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("'" + text + "' is not a valid URL: " + e.getReason());
            }
            String name = lastSegment(url.getPath() == null ? "" : url.getPath());
            boolean hf = sameOrigin(url, hfEndpoint);
            return new Remote(url, checkName(name, text), hf);
        }
        return new Local(Path.of(text));
    }

    /** "." and ".." would walk out of the repository's path (or a mirror's prefix); empty ones mean nothing. */
    private static void checkSegments(String text, String... parts) {
        for (String part : parts) {
            for (String segment : part.split("/", -1)) {
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                    throw new IllegalArgumentException("'" + text + "' is not a valid Hugging Face reference: "
                            + "owner, repository, file path and revision may not contain "
                            + (segment.isEmpty() ? "an empty part ('//')" : "'" + segment + "' as a part"));
                }
                if (segment.contains("?") || segment.contains("#") || segment.contains("\\")) {
                    throw new IllegalArgumentException("'" + text + "' is not a valid Hugging Face reference: "
                            + "'?', '#' and '\\' are not allowed");
                }
            }
        }
    }

    private static String lastSegment(String path) {
        int slash = path.lastIndexOf('/');
        return slash >= 0 ? path.substring(slash + 1) : path;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static String checkName(String name, String reference) {
        if (!SAFE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("'" + reference + "' must name a file ending in .gguf (letters, digits, "
                    + "'.', '_', '-', '+')");
        }
        return name;
    }
}
