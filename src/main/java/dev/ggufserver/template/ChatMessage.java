package dev.ggufserver.template;

/** One message as a chat template sees it: a role and plain-text content. */
public record ChatMessage(String role, String content) {
}
