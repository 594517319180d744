package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** {@code stream_options}; only {@code include_usage} is read. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StreamOptions(Boolean includeUsage) {
}
