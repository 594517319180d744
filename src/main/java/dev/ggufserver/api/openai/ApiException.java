package dev.ggufserver.api.openai;

/**
 * An error a client gets in OpenAI's shape: {@code {"error":{"message","type","param","code"}}} with an HTTP status.
 * Thrown anywhere in request handling and rendered in one place.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Integer retryAfterSeconds;

    public ApiException(int status, String type, String message, String param, String code,
                        Integer retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 for a request field: {@code param} names it as the client wrote it, e.g. {@code messages[2].content}. */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", message, param, null, null);
    }

    public static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", message, param, code, null);
    }

    public static ApiException notFound(String message, String code) {
        return new ApiException(404, "invalid_request_error", message, null, code, null);
    }

    public static ApiException unavailable(String message, String code, int retryAfterSeconds) {
        return new ApiException(503, "server_error", message, null, code, retryAfterSeconds);
    }

    public static ApiException serverError(String message) {
        return new ApiException(500, "server_error", message, null, null, null);
    }

    public int status() {
        return status;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public OpenAiTypes.ErrorResponse body() {
        return new OpenAiTypes.ErrorResponse(new OpenAiTypes.ErrorBody(getMessage(), type, param, code));
    }
}
