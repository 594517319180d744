package dev.ggufserver.grammar;

/**
 * A JSON Schema that {@link JsonSchemaGrammar} cannot honour exactly. {@link #path()} is relative to the schema root
 * (empty for the root itself, else like {@code properties.name.pattern} or {@code items.anyOf[1]}); the caller prefixes
 * it with where the schema sat in the request (e.g. {@code response_format.json_schema.schema.}).
 */
public final class UnsupportedSchemaException extends RuntimeException {
    private final String path;
    private final String keyword;

    public UnsupportedSchemaException(String path, String keyword, String message) {
        super((path.isEmpty() ? "schema" : path) + ": " + message);
        this.path = path;
        this.keyword = keyword;
    }

    /** Where in the schema, relative to its root; "" for the root. */
    public String path() {
        return path;
    }

    /** The keyword refused (e.g. {@code pattern}, {@code not}, {@code maxLength}). */
    public String keyword() {
        return keyword;
    }
}
