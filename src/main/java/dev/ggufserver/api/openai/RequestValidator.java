package dev.ggufserver.api.openai;

import static dev.ggufserver.api.openai.NumberChecks.absent;
import static dev.ggufserver.api.openai.NumberChecks.integer;
import static dev.ggufserver.api.openai.NumberChecks.longInteger;
import static dev.ggufserver.api.openai.NumberChecks.number;
import static dev.ggufserver.api.openai.NumberChecks.positiveNumber;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ggufserver.api.openai.RequestParser.FunctionTool;
import dev.ggufserver.api.openai.RequestParser.ToolChoice;
import dev.ggufserver.api.openai.RequestParser.ChatRequest;
import dev.ggufserver.api.openai.RequestParser.Common;
import dev.ggufserver.api.openai.request.ChatCompletionRequest;
import dev.ggufserver.api.openai.request.ChatMessage;
import dev.ggufserver.api.openai.request.CompletionRequest;
import dev.ggufserver.api.openai.request.MessageContent;
import dev.ggufserver.api.openai.request.ResponseFormat;
import dev.ggufserver.api.openai.request.SamplingFields;
import dev.ggufserver.api.openai.request.Stop;
import dev.ggufserver.api.openai.request.Tool;
import dev.ggufserver.api.openai.request.ToolCall;
import dev.ggufserver.engine.Sampling;
import dev.ggufserver.grammar.StructuredOutput;
import dev.ggufserver.grammar.GrammarSyntaxException;
import dev.ggufserver.grammar.JsonSchemaGrammar;
import dev.ggufserver.grammar.UnsupportedSchemaException;
import dev.ggufserver.reasoning.ReasoningEffort;
import dev.ggufserver.template.ChatTemplate;
import dev.ggufserver.reasoning.ReasoningFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks bound requests and turns them into what the handlers use. Every problem is a 400 whose {@code param}
 * names the field as the client wrote it. Known fields we cannot honour yet are refused by name.
 */
final class RequestValidator {
    static final int MAX_STOP_STRINGS = 4;
    static final int MAX_STOP_LENGTH = 1024;
    static final int MAX_LOGIT_BIAS_ENTRIES = 1024;
    private static final Set<String> CHAT_ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    /** At most this many tools per request, and this many calls in one assistant message. */
    static final int MAX_TOOLS = 128;
    static final int MAX_TOOL_CALLS = 128;
    /** OpenAI's rule for function names and message names. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    /**
     * Tool call ids as OpenAI, Anthropic and we write them ({@code call_…}). Templates print ids outside content,
     * so nothing that could spell a special token gets in.
     */
    private static final Pattern TOOL_CALL_ID = Pattern.compile("[a-zA-Z0-9_.:-]{1,256}");
    /** Reads a tool call's arguments: one JSON value and nothing after it. */
    private static final ObjectMapper ARGUMENTS = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final int maxMessages;
    private final int maxPromptChars;

    RequestValidator(int maxMessages, int maxPromptChars) {
        this.maxMessages = maxMessages;
        this.maxPromptChars = maxPromptChars;
    }

    ChatRequest validate(ChatCompletionRequest r) {
        Common common = common(r);
        rejectUnsupported("logprobs", r.logprobs());
        rejectUnsupported("top_logprobs", r.topLogprobs());
        rejectLegacy("functions", r.functions(), "use tools");
        rejectLegacy("function_call", r.functionCall(), "use tool_choice");
        rejectUnsupported("audio", r.audio());
        rejectUnsupported("prediction", r.prediction());
        rejectUnsupported("web_search_options", r.webSearchOptions());
        List<FunctionTool> tools = tools(r.tools());
        ToolChoice choice = toolChoice(r.toolChoice(), tools);
        long toolChars = 0;
        for (FunctionTool tool : tools) {
            toolChars += tool.name().length() + (tool.description() == null ? 0 : tool.description().length())
                    + tool.parameters().toString().length();
        }
        List<dev.ggufserver.template.ChatMessage> messages = messages(r.messages(), toolChars);
        ReasoningFormat format = null;
        String rf = r.reasoningFormat();
        if (rf != null) {
            format = ReasoningFormat.parse(rf).orElseThrow(() -> ApiException.invalid("reasoning_format",
                    "reasoning_format must be 'deepseek' or 'none', not '" + rf + "'"));
        }
        if (!tools.isEmpty() && choice.mode() != ToolChoice.Mode.NONE && common.output() != null) {
            throw ApiException.invalid("tools", "tools cannot be combined with response_format or grammar: the "
                    + "answer is either tool calls or a structured output (use tool_choice 'none' to answer JSON)");
        }
        return new ChatRequest(messages, common, format, tools, choice,
                r.parallelToolCalls() == null || r.parallelToolCalls(), thinking(r));
    }

    private static RequestParser.Thinking thinking(ChatCompletionRequest r) {
        ReasoningEffort effort = null;
        JsonNode e = r.reasoningEffort();
        if (!absent(e)) {
            effort = (e.isTextual() ? ReasoningEffort.parse(e.asText()) : Optional.<ReasoningEffort>empty())
                    .orElseThrow(() -> ApiException.invalid("reasoning_effort", "reasoning_effort must be one of "
                            + ReasoningEffort.quotedNames() + ", not " + e));
        }
        Integer budget = integer(r.thinkingBudgetTokens(), "thinking_budget_tokens", 0, Integer.MAX_VALUE);
        Integer alias = integer(r.reasoningBudgetTokens(), "reasoning_budget_tokens", 0, Integer.MAX_VALUE);
        if (budget != null && alias != null && !budget.equals(alias)) {
            throw ApiException.invalid("reasoning_budget_tokens", "thinking_budget_tokens and "
                    + "reasoning_budget_tokens name the same budget; send one of them");
        }
        JsonNode kwargs = r.chatTemplateKwargs();
        Boolean enableThinking = null;
        if (!absent(kwargs)) {
            if (!kwargs.isObject()) {
                throw ApiException.invalid("chat_template_kwargs", "chat_template_kwargs must be an object of "
                        + "variables for the chat template");
            }
            for (Iterator<String> names = kwargs.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (ChatTemplate.SERVER_VARIABLES.contains(name)) {
                    throw ApiException.invalid("chat_template_kwargs." + name, "chat_template_kwargs." + name
                            + " is set by the server from the request and cannot be replaced");
                }
            }
            JsonNode enable = kwargs.get("enable_thinking");
            if (!absent(enable)) {
                if (!enable.isBoolean()) {
                    throw ApiException.invalid("chat_template_kwargs.enable_thinking",
                            "chat_template_kwargs.enable_thinking must be true or false");
                }
                enableThinking = enable.asBoolean();
            }
        }
        return new RequestParser.Thinking(effort, budget != null ? budget : alias,
                absent(kwargs) ? null : (ObjectNode) kwargs, enableThinking);
    }

    RequestParser.CompletionRequest validate(CompletionRequest r) {
        Common common = common(r);
        rejectUnsupported("logprobs", r.logprobs());
        rejectUnsupported("suffix", r.suffix());
        JsonNode echo = r.echo();
        if (!absent(echo) && (!echo.isBoolean() || echo.asBoolean())) {
            throw ApiException.invalid("echo", "echo is not supported");
        }
        Integer bestOf = integer(r.bestOf(), "best_of", 1, Integer.MAX_VALUE);
        if (bestOf != null && bestOf != 1) {
            throw ApiException.invalid("best_of", "best_of greater than 1 is not supported");
        }
        if (r.prompt() == null) {
            throw ApiException.invalid("prompt", "prompt is required");
        }
        List<String> texts = r.prompt().texts();
        if (texts.size() > 1) {
            throw ApiException.invalid("prompt", "only one prompt per request is supported");
        }
        String text = texts.get(0);
        checkPromptSize(text.length(), "prompt");
        return new RequestParser.CompletionRequest(text, common);
    }

    // --- shared fields

    private Common common(SamplingFields r) {
        boolean stream = r.stream() != null && r.stream();
        boolean includeUsage = false;
        if (r.streamOptions() != null) {
            if (!stream) {
                throw ApiException.invalid("stream_options", "stream_options is only allowed when stream is true");
            }
            includeUsage = Boolean.TRUE.equals(r.streamOptions().includeUsage());
        }
        Integer n = integer(r.n(), "n", 1, Integer.MAX_VALUE);
        if (n != null && n != 1) {
            throw ApiException.invalid("n", "n greater than 1 is not supported");
        }
        Integer maxTokens = integer(r.maxTokens(), "max_tokens", 1, Integer.MAX_VALUE);
        Integer maxCompletionTokens = integer(r.maxCompletionTokens(), "max_completion_tokens", 1,
                Integer.MAX_VALUE);
        if (maxCompletionTokens != null) {
            maxTokens = maxCompletionTokens;
        }
        Long seed = longInteger(r.seed(), "seed");
        Sampling sampling = new Sampling(
                number(r.temperature(), "temperature", 0, 2),
                number(r.topP(), "top_p", 0, 1),
                integer(r.topK(), "top_k", 0, 1_000_000),
                number(r.minP(), "min_p", 0, 1),
                seed,
                number(r.presencePenalty(), "presence_penalty", -2, 2),
                number(r.frequencyPenalty(), "frequency_penalty", -2, 2),
                positiveNumber(r.repeatPenalty(), "repeat_penalty", 10),
                r.ignoreEos() != null && r.ignoreEos(),
                logitBias(r.logitBias()));
        return new Common(stream, includeUsage, maxTokens, sampling, stop(r.stop()),
                structuredOutput(r.responseFormat(), r.grammar(), sampling.ignoreEos()), r.model(),
                keepAlive(r.keepAlive()));
    }

    /** Longest keep_alive a request may ask for (a negative one means for good). */
    private static final java.time.Duration MAX_KEEP_ALIVE = java.time.Duration.ofDays(365);
    private static final java.util.regex.Pattern GO_DURATION = java.util.regex.Pattern.compile(
            "(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    /**
     * Ollama's {@code keep_alive}: seconds as a number, or a duration as Go writes it ({@code "10m"},
     * {@code "1h30m"}, {@code "300ms"}, or a number in a string); 0 unloads the model once the request ends, a
     * negative value keeps it loaded for good. Null when absent.
     */
    static java.time.Duration keepAlive(JsonNode v) {
        if (absent(v)) {
            return null;
        }
        String problem = "keep_alive must be a number of seconds or a duration such as \"5m\", \"1h30m\" or \"-1\"";
        double seconds;
        if (v.isNumber()) {
            seconds = v.asDouble();
        } else if (v.isTextual() && v.asText().matches("-?\\d+(\\.\\d+)?")) {
            seconds = Double.parseDouble(v.asText());
        } else if (v.isTextual()) {
            String text = v.asText();
            boolean negative = text.startsWith("-");
            String rest = negative ? text.substring(1) : text;
            java.util.regex.Matcher m = GO_DURATION.matcher(rest);
            int at = 0;
            seconds = 0;
            while (m.find() && m.start() == at) {
                double n = Double.parseDouble(m.group(1));
                seconds += switch (m.group(2)) {
                    case "ms" -> n / 1000;
                    case "s" -> n;
                    case "m" -> n * 60;
                    default -> n * 3600;
                };
                at = m.end();
            }
            if (at == 0 || at != rest.length()) {
                throw ApiException.invalid("keep_alive", problem + ", not " + v);
            }
            seconds = negative ? -seconds : seconds;
        } else {
            throw ApiException.invalid("keep_alive", problem + ", not " + v);
        }
        if (!Double.isFinite(seconds)) {
            throw ApiException.invalid("keep_alive", problem + ", not " + v);
        }
        if (seconds < 0) {
            return dev.ggufserver.generation.ModelHost.KEEP_LOADED;
        }
        if (seconds > MAX_KEEP_ALIVE.toSeconds()) {
            throw ApiException.invalid("keep_alive", "keep_alive is at most a year (a negative value keeps the "
                    + "model loaded for good)");
        }
        return java.time.Duration.ofNanos((long) (seconds * 1e9));
    }

    private static List<String> stop(Stop stop) {
        if (stop == null) {
            return new ArrayList<>();
        }
        if (stop.array() && stop.values().size() > MAX_STOP_STRINGS) {
            throw ApiException.invalid("stop", "stop takes at most " + MAX_STOP_STRINGS + " strings");
        }
        for (String s : stop.values()) {
            if (s.isEmpty() || s.length() > MAX_STOP_LENGTH) {
                throw ApiException.invalid("stop", "each stop string must have 1 to " + MAX_STOP_LENGTH
                        + " characters");
            }
        }
        return new ArrayList<>(stop.values());
    }

    private static Map<Integer, Float> logitBias(JsonNode bias) {
        Map<Integer, Float> result = new HashMap<>();
        if (absent(bias)) {
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

    private List<dev.ggufserver.template.ChatMessage> messages(List<ChatMessage> messages, long toolChars) {
        if (messages == null) {
            throw ApiException.invalid("messages", "messages is required");
        }
        if (messages.isEmpty()) {
            throw ApiException.invalid("messages", "messages must be a non-empty array");
        }
        if (messages.size() > maxMessages) {
            throw ApiException.invalid("messages", "too_many_messages", "There are " + messages.size()
                    + " messages; this server accepts at most " + maxMessages + " (see --max-messages).");
        }
        List<dev.ggufserver.template.ChatMessage> result = new ArrayList<>(messages.size());
        Set<String> calls = new HashSet<>(); // ids of the calls made so far, which tool messages answer
        long chars = toolChars;
        for (int i = 0; i < messages.size(); i++) {
            String where = "messages[" + i + "]";
            ChatMessage m = messages.get(i);
            if (m == null) {
                throw ApiException.invalid(where, where + " must be an object");
            }
            String role = m.role();
            if (role == null) {
                throw ApiException.invalid(where + ".role", where + ".role is required and must be a string");
            }
            if (role.equals("function")) {
                throw ApiException.invalid(where + ".role", "role 'function' (the legacy form of tool calling) is "
                        + "not supported: use role 'tool' with a tool_call_id");
            }
            if (!CHAT_ROLES.contains(role)) {
                throw ApiException.invalid(where + ".role", "unknown role '" + role
                        + "': use system, developer, user, assistant or tool");
            }
            if (m.name() != null && !NAME.matcher(m.name()).matches()) {
                throw ApiException.invalid(where + ".name", where + ".name must be 1 to 64 letters, digits, '_' "
                        + "or '-'");
            }
            List<dev.ggufserver.template.ToolCall> toolCalls = List.of();
            if (m.toolCalls() != null && !m.toolCalls().isEmpty()) {
                if (!role.equals("assistant")) {
                    throw ApiException.invalid(where + ".tool_calls", "only assistant messages carry tool_calls, "
                            + "not " + role + " messages");
                }
                toolCalls = toolCalls(m.toolCalls(), where + ".tool_calls");
                for (dev.ggufserver.template.ToolCall call : toolCalls) {
                    calls.add(call.id());
                    chars += call.arguments().length();
                }
            }
            String toolCallId = m.toolCallId();
            if (role.equals("tool")) {
                if (toolCallId == null) {
                    throw ApiException.invalid(where + ".tool_call_id", where + ".tool_call_id is required: the id "
                            + "of the call this message answers");
                }
                if (!calls.contains(toolCallId)) {
                    throw ApiException.invalid(where + ".tool_call_id", where + ".tool_call_id '"
                            + printable(toolCallId) + "' answers no tool call of an earlier assistant message");
                }
            } else if (toolCallId != null) {
                throw ApiException.invalid(where + ".tool_call_id", "only tool messages carry tool_call_id, not "
                        + role + " messages");
            }
            // an assistant's content may be null, and is when it only calls tools
            String content = content(m.content(), where + ".content", role.equals("assistant"));
            result.add(new dev.ggufserver.template.ChatMessage(role.equals("developer") ? "system" : role, content,
                    m.name(), toolCalls, toolCallId));
            chars += content.length();
        }
        checkPromptSize(chars, "messages");
        return result;
    }

    private static List<dev.ggufserver.template.ToolCall> toolCalls(List<ToolCall> calls, String where) {
        if (calls.size() > MAX_TOOL_CALLS) {
            throw ApiException.invalid(where, "a message carries at most " + MAX_TOOL_CALLS + " tool calls");
        }
        List<dev.ggufserver.template.ToolCall> result = new ArrayList<>(calls.size());
        Set<String> ids = new HashSet<>();
        for (int j = 0; j < calls.size(); j++) {
            String at = where + "[" + j + "]";
            ToolCall call = calls.get(j);
            if (call == null) {
                throw ApiException.invalid(at, at + " must be an object");
            }
            if (call.id() == null || !TOOL_CALL_ID.matcher(call.id()).matches()) {
                throw ApiException.invalid(at + ".id", at + ".id is required: 1 to 256 letters, digits, '_', '-', "
                        + "'.' or ':'");
            }
            if (!ids.add(call.id())) {
                throw ApiException.invalid(at + ".id", at + ".id '" + call.id() + "' is used by another call of "
                        + "the same message");
            }
            if (call.type() != null && !call.type().equals("function")) {
                throw ApiException.invalid(at + ".type", at + ".type must be 'function'");
            }
            ToolCall.Function function = call.function();
            if (function == null) {
                throw ApiException.invalid(at + ".function", at + ".function is required");
            }
            if (function.name() == null || !NAME.matcher(function.name()).matches()) {
                throw ApiException.invalid(at + ".function.name", at + ".function.name is required: 1 to 64 "
                        + "letters, digits, '_' or '-'");
            }
            JsonNode arguments = function.arguments();
            String param = at + ".function.arguments";
            if (arguments == null || !arguments.isTextual()) {
                throw ApiException.invalid(param, param + " must be a string holding a JSON object (JSON text, "
                        + "as the model wrote it)");
            }
            JsonNode parsed;
            try {
                parsed = ARGUMENTS.readTree(arguments.asText());
            } catch (JacksonException e) {
                parsed = null;
            }
            if (parsed == null || !parsed.isObject()) {
                throw ApiException.invalid(param, param + " must be a string holding a JSON object");
            }
            result.add(new dev.ggufserver.template.ToolCall(call.id(), function.name(), arguments.asText()));
        }
        return result;
    }

    /** A client's string in our message, cut short and without control characters. */
    private static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    // --- tools

    private static List<FunctionTool> tools(List<Tool> tools) {
        if (tools == null || tools.isEmpty()) { // an empty array is what many clients send for "no tools"
            return List.of();
        }
        if (tools.size() > MAX_TOOLS) {
            throw ApiException.invalid("tools", "tools takes at most " + MAX_TOOLS + " tools, not " + tools.size());
        }
        List<FunctionTool> result = new ArrayList<>(tools.size());
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            String at = "tools[" + i + "]";
            Tool tool = tools.get(i);
            if (tool == null) {
                throw ApiException.invalid(at, at + " must be an object");
            }
            if (tool.type() == null || !tool.type().equals("function")) {
                throw ApiException.invalid(at + ".type", at + ".type must be 'function'");
            }
            if (tool.function() == null) {
                throw ApiException.invalid(at + ".function", at + ".function is required");
            }
            String name = tool.function().name();
            if (name == null || !NAME.matcher(name).matches()) {
                throw ApiException.invalid(at + ".function.name", at + ".function.name is required: 1 to 64 "
                        + "letters, digits, '_' or '-'");
            }
            if (!names.add(name)) {
                throw ApiException.invalid(at + ".function.name", "two tools are named '" + name + "': tool names "
                        + "must be unique");
            }
            JsonNode parameters = parameters(tool.function().parameters(), at + ".function.parameters");
            result.add(new FunctionTool(name, tool.function().description(), parameters,
                    Boolean.TRUE.equals(tool.function().strict())));
        }
        return result;
    }

    /**
     * A tool's parameters: a JSON Schema for an object, which our grammar compiler can honour (the model's calls
     * will be constrained by it). Absent means no parameters, as in OpenAI's API.
     */
    private static JsonNode parameters(JsonNode parameters, String param) {
        if (absent(parameters)) {
            ObjectNode none = JsonNodeFactory.instance.objectNode();
            none.put("type", "object");
            none.putObject("properties");
            return none;
        }
        if (!parameters.isObject()) {
            throw ApiException.invalid(param, param + " must be a JSON Schema object (the arguments' schema)");
        }
        JsonNode type = parameters.get("type");
        if (type != null && !(type.isTextual() && type.asText().equals("object"))) {
            throw ApiException.invalid(param + ".type", param + ".type must be 'object': a function's arguments "
                    + "are a JSON object");
        }
        try {
            JsonSchemaGrammar.compile(parameters);
        } catch (UnsupportedSchemaException e) {
            throw ApiException.invalid(e.path().isEmpty() ? param : param + "." + e.path(), "unsupported_schema",
                    param + " cannot be honoured (keyword '" + e.keyword() + "'): " + e.getMessage());
        }
        return parameters;
    }

    private static ToolChoice toolChoice(dev.ggufserver.api.openai.request.ToolChoice choice,
                                         List<FunctionTool> tools) {
        if (choice == null) {
            return tools.isEmpty() ? ToolChoice.NONE : ToolChoice.AUTO;
        }
        ToolChoice result = switch (choice.mode()) {
            case "none" -> ToolChoice.NONE;
            case "auto" -> ToolChoice.AUTO;
            case "required" -> ToolChoice.REQUIRED;
            case dev.ggufserver.api.openai.request.ToolChoice.FUNCTION ->
                    new ToolChoice(ToolChoice.Mode.FUNCTION, choice.functionName());
            default -> throw ApiException.invalid("tool_choice", "tool_choice must be 'none', 'auto', 'required' "
                    + "or {\"type\":\"function\",\"function\":{\"name\":...}}, not '"
                    + printable(choice.mode()) + "'");
        };
        if (result.mode() == ToolChoice.Mode.NONE) {
            return result; // "none" needs no tools: nothing to call
        }
        if (tools.isEmpty()) {
            throw ApiException.invalid("tool_choice", "tool_choice '" + (result.function() != null ? "function"
                    : choice.mode()) + "' needs tools: there are none to call");
        }
        if (result.function() != null && tools.stream().noneMatch(t -> t.name().equals(result.function()))) {
            throw ApiException.invalid("tool_choice.function.name", "tool_choice names the function '"
                    + printable(result.function()) + "', which is not in tools");
        }
        return result;
    }

    private static String content(MessageContent content, String where, boolean mayBeNull) {
        if (content == null) {
            if (mayBeNull) {
                return "";
            }
            throw ApiException.invalid(where, where + " is required");
        }
        if (content instanceof MessageContent.Text text) {
            return text.text();
        }
        StringBuilder text = new StringBuilder();
        List<MessageContent.ContentPart> parts = ((MessageContent.Parts) content).parts();
        for (int j = 0; j < parts.size(); j++) {
            MessageContent.ContentPart part = parts.get(j);
            String partWhere = where + "[" + j + "]";
            if (!part.type().equals("text")) {
                throw ApiException.invalid(partWhere + ".type", "content parts of type '" + part.type()
                        + "' are not supported by this model; only 'text'");
            }
            if (part.text() == null) {
                throw ApiException.invalid(partWhere + ".text", partWhere + ".text must be a string");
            }
            text.append(part.text());
        }
        return text.toString();
    }

    private void checkPromptSize(long chars, String param) {
        if (chars > maxPromptChars) {
            throw ApiException.invalid(param, "prompt_too_long", "The prompt has " + chars + " characters; this "
                    + "server accepts at most " + maxPromptChars + " (see --max-prompt-chars).");
        }
    }

    // --- unsupported features, named

    /** A legacy field refused by name, with what to send instead. */
    private static void rejectLegacy(String field, JsonNode value, String instead) {
        boolean isAbsent = absent(value) || (value.isArray() && value.isEmpty());
        if (!isAbsent) {
            throw ApiException.invalid(field, field + " (the legacy form of tool calling) is not supported: "
                    + instead);
        }
    }

    private static void rejectUnsupported(String field, JsonNode value) {
        boolean isAbsent = absent(value)
                || (value.isBoolean() && !value.asBoolean())
                || (value.isArray() && value.isEmpty());
        if (!isAbsent) {
            throw ApiException.invalid(field, field + " is not supported yet");
        }
    }

    // --- structured outputs

    private static final String SCHEMA_PARAM = "response_format.json_schema.schema";
    /** What OpenAI allows as {@code json_schema.name}. */
    private static final java.util.regex.Pattern SCHEMA_NAME = java.util.regex.Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    /**
     * The constraint the answer follows, or null for free text. Every schema and grammar is compiled or checked
     * here, so that nothing reaches llama.cpp that it could refuse or abort on.
     */
    private static StructuredOutput structuredOutput(ResponseFormat format, JsonNode grammar, boolean ignoreEos) {
        boolean hasGrammar = !absent(grammar);
        boolean hasFormat = format != null && !format.type().equals("text");
        if (hasGrammar && hasFormat) {
            throw ApiException.invalid("grammar", "grammar and response_format " + format.type()
                    + " cannot be combined: give one of them");
        }
        StructuredOutput output = null;
        if (hasGrammar) {
            if (!grammar.isTextual() || grammar.asText().isBlank()) {
                throw ApiException.invalid("grammar", "grammar must be GBNF text with a root rule");
            }
            try {
                output = StructuredOutput.grammar(grammar.asText());
            } catch (GrammarSyntaxException e) {
                throw ApiException.invalid("grammar", "invalid_grammar", e.getMessage());
            }
        } else if (hasFormat) {
            output = switch (format.type()) {
                case "json_object" -> StructuredOutput.jsonObject();
                case "json_schema" -> jsonSchema(format.jsonSchema());
                default -> throw ApiException.invalid("response_format.type", "response_format.type must be "
                        + "'text', 'json_object' or 'json_schema', not '" + format.type() + "'");
            };
        }
        if (output != null && ignoreEos) { // llama.cpp b4916 aborts its process on a grammar with ignore_eos
            throw ApiException.invalid("ignore_eos", "ignore_eos cannot be combined with "
                    + (hasGrammar ? "grammar" : "response_format " + format.type())
                    + ": a constrained answer ends when it is complete");
        }
        return output;
    }

    private static StructuredOutput jsonSchema(ResponseFormat.JsonSchema spec) {
        if (spec == null) {
            throw ApiException.invalid("response_format.json_schema", "response_format.json_schema is required "
                    + "when response_format.type is 'json_schema'");
        }
        if (spec.name() == null || !SCHEMA_NAME.matcher(spec.name()).matches()) {
            throw ApiException.invalid("response_format.json_schema.name", "response_format.json_schema.name is "
                    + "required: 1 to 64 letters, digits, '_' or '-'");
        }
        if (absent(spec.schema())) {
            throw ApiException.invalid(SCHEMA_PARAM, SCHEMA_PARAM + " is required: the JSON Schema the answer "
                    + "must follow");
        }
        try {
            return StructuredOutput.jsonSchema(spec.schema());
        } catch (UnsupportedSchemaException e) {
            String param = e.path().isEmpty() ? SCHEMA_PARAM : SCHEMA_PARAM + "." + e.path();
            throw ApiException.invalid(param, "unsupported_schema", "response_format.json_schema.schema cannot "
                    + "be honoured (keyword '" + e.keyword() + "'): " + e.getMessage());
        }
    }
}
