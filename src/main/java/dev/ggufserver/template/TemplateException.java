package dev.ggufserver.template;

/** The chat template could not render these messages; the message is safe to show to clients. */
public class TemplateException extends Exception {
    public TemplateException(String message) {
        super(message);
    }
}
