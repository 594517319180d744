package dev.ggufserver.api.openai.request;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonMappingException;

/**
 * A binding error raised by one of our union deserializers, in our own words. Jackson adds the JSON path of the
 * field as the error bubbles up; {@code relative} is what lies below that field ({@code "[2]"}, {@code "[0].type"})
 * and {@code detail} is the message, which names the full path where it contains {@link #PATH}.
 */
public final class FieldProblem extends JsonMappingException {
    /** Stands for the field's full path in {@code detail}. */
    public static final String PATH = "\u0000path\u0000";

    private final String relative;
    private final String detail;

    FieldProblem(JsonParser parser, String relative, String detail) {
        super(parser, detail);
        this.relative = relative;
        this.detail = detail;
    }

    /** {@code "<path> must be ..."} for the field itself. */
    static FieldProblem of(JsonParser parser, String mustBe) {
        return new FieldProblem(parser, "", PATH + " " + mustBe);
    }

    public String relative() {
        return relative;
    }

    /** The message, with the field's full path put in. */
    public String message(String param) {
        return detail.replace(PATH, param);
    }
}
