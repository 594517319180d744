package dev.ggufserver.api.openai;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.ggufserver.api.openai.request.ChatCompletionRequest;
import dev.ggufserver.api.openai.request.FieldProblem;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.grammar.StructuredOutput;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ggufserver.reasoning.ReasoningEffort;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkingBudgets;
import dev.ggufserver.template.ChatMessage;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reads request bodies: strict UTF-8, then JSON, then Jackson binding into the request records of
 * {@code api.openai.request}, then {@link RequestValidator}. A JSON type that does not fit a field while binding is
 * a 400 whose {@code param} is the field's JSON path ({@code messages[2].content}).
 */
public final class RequestParser {
    /** Binding errors worded as before the records existed, by path with indexes as {@code [*]}. */
    private static final Map<String, String> WORDS = Map.of(
            "messages", "must be a non-empty array",
            "messages[*].role", "is required and must be a string");

    private final ObjectMapper mapper;
    private final ObjectMapper binder;
    private final RequestValidator validator;

    public RequestParser(ObjectMapper mapper, int maxMessages, int maxPromptChars) {
        this.mapper = mapper;
        this.binder = strictCopy(mapper);
        this.validator = new RequestValidator(maxMessages, maxPromptChars);
    }

    /**
     * Fields both endpoints share; {@code output} is null when the answer is free text, {@code model} when the
     * request names none.
     */
    public record Common(boolean stream, boolean includeUsage, Integer maxTokens, Sampling sampling,
                         List<String> stop, StructuredOutput output, String model, java.time.Duration keepAlive) {
    }

    /**
     * A chat request, checked. {@code tools} is empty when the client sent none; {@code toolChoice} is then
     * {@link ToolChoice#NONE}, and with tools it defaults to {@link ToolChoice#AUTO}, as OpenAI's does.
     */
    public record ChatRequest(List<ChatMessage> messages, Common common, ReasoningFormat reasoningFormat,
                              List<FunctionTool> tools, ToolChoice toolChoice, boolean parallelToolCalls,
                              Thinking thinking) {
        public ChatRequest {
            tools = List.copyOf(tools);
        }

        public ChatRequest(List<ChatMessage> messages, Common common, ReasoningFormat reasoningFormat) {
            this(messages, common, reasoningFormat, List.of(), ToolChoice.NONE, true, Thinking.DEFAULT);
        }
    }

    /**
     * What a chat request asks of the model's thinking; nulls where it asks nothing.
     *
     * @param effort         {@code reasoning_effort}
     * @param budgetTokens   {@code thinking_budget_tokens} (or {@code reasoning_budget_tokens}): wins over effort
     * @param templateKwargs {@code chat_template_kwargs}: an object, or null
     * @param enableThinking {@code chat_template_kwargs.enable_thinking}: false means no thinking, for any model
     */
    public record Thinking(ReasoningEffort effort, Integer budgetTokens, ObjectNode templateKwargs,
                           Boolean enableThinking) {
        public static final Thinking DEFAULT = new Thinking(null, null, null, null);

        /** The request's thinking budget in tokens under the server's budgets: 0 no thinking, -1 unlimited. */
        public int budget(ThinkingBudgets server) {
            if (Boolean.FALSE.equals(enableThinking)) {
                return 0;
            }
            if (budgetTokens != null) {
                return budgetTokens;
            }
            return effort != null ? server.tokensFor(effort) : server.defaultTokens();
        }
    }

    /**
     * A function the model may call: its name is unique in the request, and {@code parameters} (a JSON Schema
     * object; {@code {"type":"object","properties":{}}} when the client gave none) compiles to a grammar.
     */
    public record FunctionTool(String name, String description, JsonNode parameters, boolean strict) {
    }

    /** What {@code tool_choice} asks: {@code function} names the tool when {@code mode} is FUNCTION, else null. */
    public record ToolChoice(Mode mode, String function) {
        public static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);
        public static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
        public static final ToolChoice REQUIRED = new ToolChoice(Mode.REQUIRED, null);

        public enum Mode { NONE, AUTO, REQUIRED, FUNCTION }
    }

    public record CompletionRequest(String prompt, Common common) {
    }

    public ChatRequest chat(byte[] body) {
        return validator.validate(bind(parseObject(body), ChatCompletionRequest.class));
    }

    /** An embeddings request, bound (its limits and its model are checked by the embeddings handler). */
    public dev.ggufserver.api.openai.request.EmbeddingRequest embeddings(byte[] body) {
        return bind(parseObject(body), dev.ggufserver.api.openai.request.EmbeddingRequest.class);
    }

    /** A body that must be a JSON object (strict UTF-8), for endpoints without a request record. */
    public JsonNode object(byte[] body) {
        return parseObject(body);
    }

    public CompletionRequest completion(byte[] body) {
        return validator.validate(bind(parseObject(body),
                dev.ggufserver.api.openai.request.CompletionRequest.class));
    }

    /** The server's mapper, but a string is never taken for a boolean nor a number for a string. */
    static ObjectMapper strictCopy(ObjectMapper mapper) {
        ObjectMapper copy = mapper.copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        copy.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        copy.coercionConfigFor(LogicalType.Boolean)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        return copy;
    }

    private <T> T bind(JsonNode root, Class<T> type) {
        try {
            return binder.treeToValue(root, type);
        } catch (FieldProblem e) {
            String param = path(e);
            throw ApiException.invalid(param + e.relative(), e.message(param));
        } catch (InvalidDefinitionException e) {
            throw new IllegalStateException("request records are misdeclared", e);
        } catch (JsonMappingException e) {
            String param = path(e);
            String words = param == null ? null : WORDS.get(param.replaceAll("\\[\\d+]", "[*]"));
            throw ApiException.invalid(param, param + " " + (words != null ? words : mustBe(e)));
        } catch (JacksonException e) {
            throw ApiException.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** The JSON path of a binding error as the client wrote it: {@code stream_options.include_usage}. */
    static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.length() == 0 ? null : path.toString();
    }

    private static String mustBe(JsonMappingException e) {
        Class<?> target = e instanceof MismatchedInputException m ? m.getTargetType() : null;
        if (target == null) {
            return "is not valid";
        } else if (target == Boolean.class || target == boolean.class) {
            return "must be true or false";
        } else if (CharSequence.class.isAssignableFrom(target)) {
            return "must be a string";
        } else if (Collection.class.isAssignableFrom(target) || target.isArray()) {
            return "must be an array";
        } else if (Number.class.isAssignableFrom(target) || target.isPrimitive()) {
            return "must be a number";
        }
        return "must be an object";
    }

    private JsonNode parseObject(byte[] body) {
        JsonNode root;
        try {
            root = mapper.readTree(strictUtf8(body));
        } catch (JacksonException e) {
            throw ApiException.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object");
        }
        return root;
    }

    /**
     * The body as text, refusing what is not well-formed UTF-8: Jackson alone accepts overlong forms such as
     * {@code C0 AF} (a disguised "/"), which filters that look at bytes would miss.
     */
    private static String strictUtf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.invalid(null, "the request body is not valid UTF-8 (" + e.getMessage() + ")");
        }
    }
}
