package dev.ggufserver.api.openai;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.template.ChatMessage;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads request bodies into validated requests. Every problem is a 400 whose {@code param} names the field as the
 * client wrote it; numbers that are not finite or out of range never get further. Unknown fields are ignored;
 * known fields we cannot honour yet are rejected by name rather than silently ignored.
 */
public final class RequestParser {
    static final int MAX_STOP_STRINGS = 4;
    static final int MAX_STOP_LENGTH = 1024;
    static final int MAX_LOGIT_BIAS_ENTRIES = 1024;
    private static final Set<String> CHAT_ROLES = Set.of("system", "developer", "user", "assistant");

    private final ObjectMapper mapper;
    private final int maxMessages;
    private final int maxPromptChars;

    public RequestParser(ObjectMapper mapper, int maxMessages, int maxPromptChars) {
        this.mapper = mapper;
        this.maxMessages = maxMessages;
        this.maxPromptChars = maxPromptChars;
    }

    private void checkPromptSize(long chars, String param) {
        if (chars > maxPromptChars) {
            throw ApiException.invalid(param, "prompt_too_long", "The prompt has " + chars + " characters; this "
                    + "server accepts at most " + maxPromptChars + " (see --max-prompt-chars).");
        }
    }

    /** Fields both endpoints share. */
    public record Common(boolean stream, boolean includeUsage, Integer maxTokens, Sampling sampling,
                         List<String> stop) {
    }

    public record ChatRequest(List<ChatMessage> messages, Common common, ReasoningFormat reasoningFormat) {
    }

    public record CompletionRequest(String prompt, Common common) {
    }

    public ChatRequest chat(byte[] body) {
        ObjectNode root = parseObject(body);
        Common common = common(root);
        rejectUnsupported(root, "logprobs", "top_logprobs", "tools", "functions", "function_call", "audio",
                "prediction", "web_search_options");
        rejectToolChoice(root);
        rejectResponseFormat(root);
        List<ChatMessage> messages = messages(root);
        ReasoningFormat format = null;
        JsonNode rf = root.get("reasoning_format");
        if (rf != null && !rf.isNull()) {
            if (!rf.isTextual()) {
                throw ApiException.invalid("reasoning_format", "reasoning_format must be a string");
            }
            format = ReasoningFormat.parse(rf.asText()).orElseThrow(() -> ApiException.invalid("reasoning_format",
                    "reasoning_format must be 'deepseek' or 'none', not '" + rf.asText() + "'"));
        }
        return new ChatRequest(messages, common, format);
    }

    public CompletionRequest completion(byte[] body) {
        ObjectNode root = parseObject(body);
        Common common = common(root);
        rejectUnsupported(root, "logprobs", "suffix");
        JsonNode echo = root.get("echo");
        if (echo != null && !echo.isNull() && (!echo.isBoolean() || echo.asBoolean())) {
            throw ApiException.invalid("echo", "echo is not supported");
        }
        Integer bestOf = integer(root, "best_of", 1, Integer.MAX_VALUE);
        if (bestOf != null && bestOf != 1) {
            throw ApiException.invalid("best_of", "best_of greater than 1 is not supported");
        }
        JsonNode prompt = root.get("prompt");
        String text;
        if (prompt == null || prompt.isNull()) {
            throw ApiException.invalid("prompt", "prompt is required");
        } else if (prompt.isTextual()) {
            text = prompt.asText();
        } else if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            text = prompt.get(0).asText();
        } else if (prompt.isArray() && prompt.size() > 1 && allTextual(prompt)) {
            throw ApiException.invalid("prompt", "only one prompt per request is supported");
        } else {
            throw ApiException.invalid("prompt", "prompt must be a string (token arrays are not supported)");
        }
        checkPromptSize(text.length(), "prompt");
        return new CompletionRequest(text, common);
    }

    // --- shared fields

    private Common common(ObjectNode root) {
        JsonNode model = root.get("model");
        if (model != null && !model.isNull() && !model.isTextual()) {
            throw ApiException.invalid("model", "model must be a string");
        }
        boolean stream = bool(root, "stream", false);
        boolean includeUsage = false;
        JsonNode options = root.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!stream) {
                throw ApiException.invalid("stream_options",
                        "stream_options is only allowed when stream is true");
            }
            if (!options.isObject()) {
                throw ApiException.invalid("stream_options", "stream_options must be an object");
            }
            includeUsage = bool((ObjectNode) options, "include_usage", "stream_options.include_usage", false);
        }
        Integer n = integer(root, "n", 1, Integer.MAX_VALUE);
        if (n != null && n != 1) {
            throw ApiException.invalid("n", "n greater than 1 is not supported");
        }
        Integer maxTokens = integer(root, "max_tokens", 1, Integer.MAX_VALUE);
        Integer maxCompletionTokens = integer(root, "max_completion_tokens", 1, Integer.MAX_VALUE);
        if (maxCompletionTokens != null) {
            maxTokens = maxCompletionTokens;
        }
        Long seed = longInteger(root, "seed");
        Sampling sampling = new Sampling(
                number(root, "temperature", 0, 2),
                number(root, "top_p", 0, 1),
                integer(root, "top_k", 0, 1_000_000),
                number(root, "min_p", 0, 1),
                seed,
                number(root, "presence_penalty", -2, 2),
                number(root, "frequency_penalty", -2, 2),
                positiveNumber(root, "repeat_penalty", 10),
                bool(root, "ignore_eos", false),
                logitBias(root));
        return new Common(stream, includeUsage, maxTokens, sampling, stop(root));
    }

    private List<String> stop(ObjectNode root) {
        JsonNode stop = root.get("stop");
        List<String> stops = new ArrayList<>();
        if (stop == null || stop.isNull()) {
            return stops;
        }
        if (stop.isTextual()) {
            stops.add(stop.asText());
        } else if (stop.isArray()) {
            if (stop.size() > MAX_STOP_STRINGS) {
                throw ApiException.invalid("stop", "stop takes at most " + MAX_STOP_STRINGS + " strings");
            }
            for (int i = 0; i < stop.size(); i++) {
                if (!stop.get(i).isTextual()) {
                    throw ApiException.invalid("stop[" + i + "]", "stop strings must be strings");
                }
                stops.add(stop.get(i).asText());
            }
        } else {
            throw ApiException.invalid("stop", "stop must be a string or an array of strings");
        }
        for (String s : stops) {
            if (s.isEmpty() || s.length() > MAX_STOP_LENGTH) {
                throw ApiException.invalid("stop", "each stop string must have 1 to " + MAX_STOP_LENGTH
                        + " characters");
            }
        }
        return stops;
    }

    private Map<Integer, Float> logitBias(ObjectNode root) {
        JsonNode bias = root.get("logit_bias");
        Map<Integer, Float> result = new HashMap<>();
        if (bias == null || bias.isNull()) {
            return result;
        }
        if (!bias.isObject()) {
            throw ApiException.invalid("logit_bias", "logit_bias must be an object of token id to bias");
        }
        if (bias.size() > MAX_LOGIT_BIAS_ENTRIES) {
            throw ApiException.invalid("logit_bias", "logit_bias takes at most " + MAX_LOGIT_BIAS_ENTRIES
                    + " tokens");
        }
        for (Map.Entry<String, JsonNode> e : bias.properties()) {
            int token;
            try {
                token = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw ApiException.invalid("logit_bias", "logit_bias keys must be token ids, not '" + e.getKey() + "'");
            }
            JsonNode v = e.getValue();
            if (token < 0 || !v.isNumber() || !Double.isFinite(v.asDouble()) || Math.abs(v.asDouble()) > 100) {
                throw ApiException.invalid("logit_bias",
                        "logit_bias maps token ids (0 or more) to numbers from -100 to 100");
            }
            result.put(token, (float) v.asDouble());
        }
        return result;
    }

    // --- chat messages

    private List<ChatMessage> messages(ObjectNode root) {
        JsonNode messages = root.get("messages");
        if (messages == null || messages.isNull()) {
            throw ApiException.invalid("messages", "messages is required");
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw ApiException.invalid("messages", "messages must be a non-empty array");
        }
        if (messages.size() > maxMessages) {
            throw ApiException.invalid("messages", "too_many_messages", "There are " + messages.size()
                    + " messages; this server accepts at most " + maxMessages + " (see --max-messages).");
        }
        List<ChatMessage> result = new ArrayList<>(messages.size());
        long chars = 0;
        for (int i = 0; i < messages.size(); i++) {
            String where = "messages[" + i + "]";
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                throw ApiException.invalid(where, where + " must be an object");
            }
            JsonNode roleNode = m.get("role");
            if (roleNode == null || !roleNode.isTextual()) {
                throw ApiException.invalid(where + ".role", where + ".role is required and must be a string");
            }
            String role = roleNode.asText();
            if (role.equals("tool") || role.equals("function")) {
                throw ApiException.invalid(where + ".role", "tool messages are not supported (tools are not yet)");
            }
            if (!CHAT_ROLES.contains(role)) {
                throw ApiException.invalid(where + ".role", "unknown role '" + role
                        + "': use system, developer, user or assistant");
            }
            JsonNode toolCalls = m.get("tool_calls");
            if (toolCalls != null && !toolCalls.isNull() && !(toolCalls.isArray() && toolCalls.isEmpty())) {
                throw ApiException.invalid(where + ".tool_calls", "tool calls are not supported");
            }
            String content = content(m.get("content"), where + ".content", role.equals("assistant"));
            result.add(new ChatMessage(role.equals("developer") ? "system" : role, content));
            chars += content.length();
        }
        checkPromptSize(chars, "messages");
        return result;
    }

    private static String content(JsonNode content, String where, boolean mayBeNull) {
        if (content == null || content.isNull()) {
            if (mayBeNull) {
                return "";
            }
            throw ApiException.invalid(where, where + " is required");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw ApiException.invalid(where, where + " must be a string or an array of content parts");
        }
        StringBuilder text = new StringBuilder();
        for (int j = 0; j < content.size(); j++) {
            JsonNode part = content.get(j);
            String partWhere = where + "[" + j + "]";
            JsonNode type = part.get("type");
            if (!part.isObject() || type == null || !type.isTextual()) {
                throw ApiException.invalid(partWhere, partWhere + " must be an object with a type");
            }
            if (!type.asText().equals("text")) {
                throw ApiException.invalid(partWhere + ".type", "content parts of type '" + type.asText()
                        + "' are not supported by this model; only 'text'");
            }
            JsonNode partText = part.get("text");
            if (partText == null || !partText.isTextual()) {
                throw ApiException.invalid(partWhere + ".text", partWhere + ".text must be a string");
            }
            text.append(partText.asText());
        }
        return text.toString();
    }

    // --- unsupported features, named

    private static void rejectUnsupported(ObjectNode root, String... fields) {
        for (String field : fields) {
            JsonNode value = root.get(field);
            boolean absent = value == null || value.isNull()
                    || (value.isBoolean() && !value.asBoolean())
                    || (value.isArray() && value.isEmpty());
            if (!absent) {
                throw ApiException.invalid(field, field + " is not supported yet");
            }
        }
    }

    private static void rejectToolChoice(ObjectNode root) {
        JsonNode choice = root.get("tool_choice");
        if (choice != null && !choice.isNull() && !(choice.isTextual() && choice.asText().equals("none"))) {
            throw ApiException.invalid("tool_choice", "tool_choice is not supported (tools are not yet)");
        }
    }

    private static void rejectResponseFormat(ObjectNode root) {
        JsonNode format = root.get("response_format");
        if (format == null || format.isNull()) {
            return;
        }
        JsonNode type = format.get("type");
        if (!format.isObject() || type == null || !type.isTextual()) {
            throw ApiException.invalid("response_format", "response_format must be an object with a type");
        }
        if (!type.asText().equals("text")) {
            throw ApiException.invalid("response_format", "response_format type '" + type.asText()
                    + "' is not supported yet; only 'text'");
        }
    }

    // --- typed field readers

    private ObjectNode parseObject(byte[] body) {
        JsonNode root;
        try {
            root = mapper.readTree(strictUtf8(body));
        } catch (JacksonException e) {
            throw ApiException.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiException.invalid(null, "the request body could not be read");
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object");
        }
        return (ObjectNode) root;
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

    private static boolean allTextual(JsonNode array) {
        for (JsonNode n : array) {
            if (!n.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static boolean bool(ObjectNode node, String field, boolean fallback) {
        return bool(node, field, field, fallback);
    }

    private static boolean bool(ObjectNode node, String field, String param, boolean fallback) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(param, param + " must be true or false");
        }
        return v.asBoolean();
    }

    private static Double number(ObjectNode node, String field, double min, double max) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw ApiException.invalid(field, field + " must be a finite number");
        }
        double d = v.asDouble();
        if (d < min || d > max) {
            throw ApiException.invalid(field, field + " must be between " + fmt(min) + " and " + fmt(max)
                    + ", not " + v.asText());
        }
        return d;
    }

    private static Double positiveNumber(ObjectNode node, String field, double max) {
        Double d = number(node, field, 0, max);
        if (d != null && d <= 0) {
            throw ApiException.invalid(field, field + " must be greater than 0");
        }
        return d;
    }

    private static Integer integer(ObjectNode node, String field, int min, int max) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!isIntegral(v)) {
            throw ApiException.invalid(field, field + " must be an integer");
        }
        double d = v.asDouble();
        if (d < min || d > max) {
            throw ApiException.invalid(field, field + " must be between " + min + " and " + max + ", not "
                    + v.asText());
        }
        return (int) d;
    }

    private static Long longInteger(ObjectNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!isIntegral(v) || !v.canConvertToLong()) {
            throw ApiException.invalid(field, field + " must be a 64-bit integer");
        }
        return v.asLong();
    }

    private static boolean isIntegral(JsonNode v) {
        if (v.isIntegralNumber()) {
            return true;
        }
        return v.isNumber() && Double.isFinite(v.asDouble()) && v.asDouble() == Math.rint(v.asDouble());
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
