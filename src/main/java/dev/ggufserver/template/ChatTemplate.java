package dev.ggufserver.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.loader.ResourceNotFoundException;
import dev.ggufserver.output.ToolCallFormat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A model's Jinja chat template ({@code tokenizer.chat_template}), rendered in Java with Jinjava the way Hugging
 * Face's {@code apply_chat_template} renders it (trim_blocks and lstrip_blocks on, {@code raise_exception} and
 * {@code strftime_now} available).
 *
 * <p>We render ourselves instead of calling the binding's applyTemplate, which corrupts characters outside the
 * Basic Multilingual Plane, truncates the prompt's end and aborts the JVM on malformed input.
 *
 * <p>Message content is data, never template code: Jinjava's nested interpretation (re-rendering {@code {{ }}}
 * found in a value) is off, {@code include}/{@code import} find nothing, and rendering is bounded in output size
 * and time, since a GGUF's own template can loop too. Each non-empty content is rendered between two Unicode
 * noncharacters, so that the rendered prompt says which of its characters came from the client
 * ({@link RenderedChat#contentSpans}): special-token text there is tokenized as plain text.
 */
public final class ChatTemplate {
    /** Marks the start and the end of a message's content in the rendered text; removed from client content. */
    static final char CONTENT_START = '\uFDD0';
    static final char CONTENT_END = '\uFDD1';
    private static final int DEFAULT_MAX_OUTPUT_CHARS = 64 * 1024 * 1024;
    /** The variables every render sets from the request itself; extra variables never replace them. */
    public static final Set<String> SERVER_VARIABLES = Set.of("messages", "tools", "add_generation_prompt",
            "bos_token", "eos_token");
    private static final Duration DEFAULT_RENDER_TIMEOUT = Duration.ofSeconds(10);
    /** The deadline of the render running on this thread (rendering is synchronous). */
    private static final ThreadLocal<long[]> DEADLINE = new ThreadLocal<>();

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final boolean engineAddsBos;
    private final Duration renderTimeout;
    private final boolean markContent;
    private final ToolCallFormat toolCallFormat;
    private final Jinjava jinjava;

    /** The rendered prompt and the spans of it, {start, end} in characters, that are message content. */
    public record RenderedChat(String text, List<int[]> contentSpans) {
    }

    /**
     * @param engineAddsBos when the engine puts BOS in front of every prompt itself, a BOS the template writes is
     *                      removed so the model does not see two
     */
    public ChatTemplate(String source, String bosToken, String eosToken, boolean engineAddsBos) {
        this(source, bosToken, eosToken, engineAddsBos, DEFAULT_MAX_OUTPUT_CHARS, DEFAULT_RENDER_TIMEOUT, true);
    }

    /**
     * @param maxOutputChars a render that writes more fails (the server passes a little over --max-prompt-chars)
     * @param renderTimeout  a render that takes longer fails
     * @param markContent    report the content spans (false: all special-token text stays special, as in
     *                       llama-server)
     */
    public ChatTemplate(String source, String bosToken, String eosToken, boolean engineAddsBos, long maxOutputChars,
                        Duration renderTimeout, boolean markContent) {
        this(source, bosToken, eosToken, engineAddsBos, maxOutputChars, renderTimeout, markContent, null);
    }

    /** @param toolCallFormat the syntax the model writes tool calls in; null: as the template shows it */
    public ChatTemplate(String source, String bosToken, String eosToken, boolean engineAddsBos, long maxOutputChars,
                        Duration renderTimeout, boolean markContent, ToolCallFormat toolCallFormat) {
        this.source = source;
        this.toolCallFormat = toolCallFormat != null ? toolCallFormat : ToolCallFormat.fromTemplate(source);
        this.markContent = markContent;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.engineAddsBos = engineAddsBos;
        this.renderTimeout = renderTimeout;
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                .withNestedInterpretationEnabled(false) // content that looks like a template stays text
                // {{- x }} strips the whitespace before it, as in Jinja (Qwen2.5 writes a tool call that way);
                // without this Jinjava keeps the newline and indentation between two expressions
                .withLegacyOverrides(LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true).build())
                .withMaxOutputSize(maxOutputChars)
                .withNodePreProcessor(ChatTemplate::checkDeadline)
                .build();
        this.jinjava = new Jinjava(config);
        jinjava.setResourceLocator((name, charset, interpreter) -> { // no include, import or from: nothing to read
            throw new ResourceNotFoundException("templates cannot read files (" + name + ")");
        });
        // Jinja's trim strips whitespace inside the content markers, as it would without them
        jinjava.getGlobalContext().registerFilter(new ContentAwareTrim());
        // Hugging Face's tojson is Python's json.dumps: models were trained on its spacing
        jinjava.getGlobalContext().registerFilter(new PythonToJson());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                ChatTemplate.class, "strftimeNow", String.class));
    }

    public String source() {
        return source;
    }

    /**
     * The syntax the model writes tool calls in (detected from the template, see
     * {@link ToolCallFormat#fromTemplate}, unless the server was told): its answers are parsed in it, and a
     * template that shows no tools gets that syntax described in the system prompt.
     */
    public ToolCallFormat toolCallFormat() {
        return toolCallFormat;
    }

    /**
     * Renders the conversation; with {@code addGenerationPrompt} the result ends where the assistant's answer
     * begins.
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) throws TemplateException {
        return renderChat(messages, addGenerationPrompt).text();
    }

    /** Renders the conversation and says where in the result each message's content is. */
    public RenderedChat renderChat(List<ChatMessage> messages, boolean addGenerationPrompt)
            throws TemplateException {
        return renderChat(messages, List.of(), addGenerationPrompt);
    }

    /**
     * Renders the conversation with the functions the model may call, passed as {@code tools} the way Hugging
     * Face's {@code apply_chat_template} passes them. A template that renders them itself (Qwen2.5, Llama 3.x,
     * Hermes, Mistral) is left to do so. One that does not is found out by rendering without the tools too: if some
     * tool's name does not appear more often with them than without, the tools and the call syntax
     * ({@link ToolPrompt}) go in front of the first system message instead (a system message is added if there is
     * none), as llama.cpp does for DeepSeek-R1, whose official template renders earlier calls but no tools.
     */
    public RenderedChat renderChat(List<ChatMessage> messages, List<ToolDefinition> tools,
                                   boolean addGenerationPrompt) throws TemplateException {
        return renderChat(messages, tools, addGenerationPrompt, Map.of());
    }

    /**
     * As {@link #renderChat(List, List, boolean)}, with more variables for the template (a request's
     * {@code chat_template_kwargs}, such as {@code enable_thinking}); they cannot replace the ones set here.
     */
    public RenderedChat renderChat(List<ChatMessage> messages, List<ToolDefinition> tools,
                                   boolean addGenerationPrompt, Map<String, Object> variables)
            throws TemplateException {
        if (tools.isEmpty()) {
            return renderOnce(messages, null, null, addGenerationPrompt, variables);
        }
        RenderedChat with;
        try {
            with = renderOnce(messages, tools, null, addGenerationPrompt, variables);
        } catch (TemplateException e) { // some templates refuse tools outright: tell the model ourselves
            with = null;
        }
        if (with != null && rendersEveryTool(with, renderOnce(messages, null, null, addGenerationPrompt, variables),
                tools)) {
            return with;
        }
        return renderOnce(messages, null, ToolPrompt.segments(tools, toolCallFormat),
                addGenerationPrompt, variables);
    }

    private static boolean rendersEveryTool(RenderedChat with, RenderedChat without, List<ToolDefinition> tools) {
        for (ToolDefinition tool : tools) {
            if (occurrences(with.text(), tool.name()) <= occurrences(without.text(), tool.name())) {
                return false;
            }
        }
        return true;
    }

    private static int occurrences(String text, String word) {
        int count = 0;
        for (int i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length())) {
            count++;
        }
        return count;
    }

    private RenderedChat renderOnce(List<ChatMessage> messages, List<ToolDefinition> tools,
                                    List<ToolPrompt.Segment> injected, boolean addGenerationPrompt,
                                    Map<String, Object> variables) throws TemplateException {
        List<Map<String, Object>> list = new ArrayList<>(messages.size() + 1);
        for (ChatMessage m : messages) {
            list.add(asTemplateSees(m));
        }
        if (injected != null) {
            inject(list, injected);
        }
        Map<String, Object> context = new HashMap<>(variables);
        context.keySet().removeAll(SERVER_VARIABLES);
        context.put("messages", list);
        if (tools != null) {
            List<Map<String, Object>> toolList = new ArrayList<>(tools.size());
            for (ToolDefinition tool : tools) {
                toolList.add(ToolPrompt.asTemplateSees(tool, markContent));
            }
            context.put("tools", toolList);
        }
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        RenderResult result;
        long[] deadline = {System.nanoTime() + renderTimeout.toNanos()};
        DEADLINE.set(deadline);
        try {
            result = jinjava.renderForResult(source, context);
        } catch (TemplateRaisedException e) {
            throw new TemplateException("the chat template rejected the messages: " + e.getMessage());
        } catch (RenderTimeoutException e) {
            throw timedOut();
        } catch (RuntimeException e) {
            throw new TemplateException("the chat template failed: " + e.getMessage());
        } finally {
            DEADLINE.remove();
        }
        for (TemplateError error : result.getErrors()) {
            for (Throwable t = error.getException(); t != null; t = t.getCause()) {
                if (t instanceof TemplateRaisedException raised) {
                    throw new TemplateException("the chat template rejected the messages: " + raised.getMessage());
                }
                if (t instanceof RenderTimeoutException) {
                    throw timedOut();
                }
            }
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new TemplateException("the chat template failed: " + error.getMessage());
            }
        }
        RenderedChat chat = withContentSpans(result.getOutput());
        String prompt = chat.text();
        if (engineAddsBos && !bosToken.isEmpty() && prompt.startsWith(bosToken)) {
            int cut = bosToken.length();
            List<int[]> spans = new ArrayList<>(chat.contentSpans().size());
            for (int[] span : chat.contentSpans()) {
                spans.add(new int[]{span[0] - cut, span[1] - cut});
            }
            chat = new RenderedChat(prompt.substring(cut), spans);
        }
        return chat;
    }

    /**
     * A message as {@code apply_chat_template} hands it to a template: role and content, and only the tool keys the
     * message has ({@code name}, {@code tool_calls}, {@code tool_call_id}; templates test them with
     * {@code is defined}). An assistant message with calls and no text has content {@code none}, which is what
     * DeepSeek-R1's template tests before rendering the calls.
     */
    private Map<String, Object> asTemplateSees(ChatMessage m) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("role", m.role());
        boolean callsOnly = !m.toolCalls().isEmpty() && (m.content() == null || m.content().isEmpty());
        map.put("content", callsOnly ? null : markContent ? marked(m.content()) : m.content());
        if (m.name() != null) {
            map.put("name", m.name());
        }
        if (!m.toolCalls().isEmpty()) {
            List<Map<String, Object>> calls = new ArrayList<>(m.toolCalls().size());
            for (ToolCall call : m.toolCalls()) {
                Map<String, Object> function = new LinkedHashMap<>();
                function.put("name", call.name());
                function.put("arguments", ToolArguments.of(call.arguments(), markContent));
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("id", templateCallId(call.id()));
                c.put("type", "function");
                c.put("function", function);
                calls.add(c);
            }
            map.put("tool_calls", calls);
        }
        if (m.toolCallId() != null) {
            map.put("tool_call_id", templateCallId(m.toolCallId()));
        }
        return map;
    }

    /**
     * Mistral's templates refuse any call id that is not 9 letters and digits, so ours ({@code call_} and 24 more)
     * would make every conversation with a tool result a 400: for them each id becomes 9 characters derived from it,
     * the same for a call and for the tool message that answers it.
     */
    private String templateCallId(String id) {
        if (toolCallFormat != ToolCallFormat.MISTRAL || id == null || id.matches("[a-zA-Z0-9]{9}")) {
            return id;
        }
        byte[] hash;
        try {
            hash = java.security.MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        String alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        StringBuilder short9 = new StringBuilder(9);
        for (int i = 0; i < 9; i++) {
            short9.append(alphabet.charAt((hash[i] & 0xff) % alphabet.length()));
        }
        return short9.toString();
    }

    /** Puts the tool text in front of the first message's content if it is a system message, else adds one. */
    private void inject(List<Map<String, Object>> messages, List<ToolPrompt.Segment> segments) {
        StringBuilder text = new StringBuilder();
        for (ToolPrompt.Segment s : segments) {
            text.append(markContent && s.client() ? marked(s.text()) : s.text());
        }
        if (!messages.isEmpty() && "system".equals(messages.get(0).get("role"))) {
            Object content = messages.get(0).get("content");
            if (content != null && !content.toString().isEmpty()) {
                text.append("\n\n").append(content);
            }
            messages.get(0).put("content", text.toString());
        } else {
            Map<String, Object> system = new LinkedHashMap<>();
            system.put("role", "system");
            system.put("content", text.toString());
            messages.add(0, system);
        }
    }

    private TemplateException timedOut() {
        return new TemplateException("the chat template took longer than " + renderTimeout.toMillis()
                + " ms to render and was stopped");
    }

    /** Content between the markers; the client's own copies of the marker characters are dropped. */
    static String marked(String content) {
        if (content == null || content.isEmpty()) {
            return content; // templates test content for emptiness
        }
        String clean = content.indexOf(CONTENT_START) >= 0 || content.indexOf(CONTENT_END) >= 0
                ? content.replace(String.valueOf(CONTENT_START), "").replace(String.valueOf(CONTENT_END), "")
                : content;
        return CONTENT_START + clean + CONTENT_END;
    }

    /**
     * Removes the markers and records what they enclosed. A template that cuts content apart (slicing, split) can
     * leave a marker without its partner: such a part is not recorded, and its special-token text stays special,
     * as without markers.
     */
    static RenderedChat withContentSpans(String marked) {
        StringBuilder text = new StringBuilder(marked.length());
        List<int[]> spans = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < marked.length(); i++) {
            char c = marked.charAt(i);
            if (c == CONTENT_START) {
                start = text.length();
            } else if (c == CONTENT_END) {
                if (start >= 0 && text.length() > start) {
                    spans.add(new int[]{start, text.length()});
                }
                start = -1;
            } else {
                text.append(c);
            }
        }
        return new RenderedChat(text.toString(), spans);
    }

    /** Called before each node is rendered: the render stops once its deadline has passed. */
    private static void checkDeadline(Object node, JinjavaInterpreter interpreter) {
        long[] deadline = DEADLINE.get();
        if (deadline != null && System.nanoTime() - deadline[0] > 0) {
            throw new RenderTimeoutException();
        }
    }

    static final class RenderTimeoutException extends RuntimeException {
        RenderTimeoutException() {
            super("the chat template took too long to render", null, false, false);
        }
    }

    /** Jinja's {@code trim}, which keeps the content markers at the ends and trims what they enclose. */
    private static final class ContentAwareTrim implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) {
                return null;
            }
            String s = var.toString().trim();
            if (s.length() >= 2 && s.charAt(0) == CONTENT_START && s.charAt(s.length() - 1) == CONTENT_END) {
                String inner = s.substring(1, s.length() - 1).trim();
                return inner.isEmpty() ? "" : CONTENT_START + inner + CONTENT_END;
            }
            return s;
        }
    }

    /** {@code tojson} and {@code tojson(indent=N)} as transformers' chat templates have them. */
    private static final class PythonToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            int spaces = -1;
            if (indent instanceof Number n) {
                spaces = n.intValue();
            } else if (indent != null) {
                try {
                    spaces = Integer.parseInt(indent.toString().trim());
                } catch (NumberFormatException e) {
                    spaces = -1;
                }
            }
            return PythonJson.write(var, spaces);
        }
    }

    /** Jinja's {@code raise_exception(message)}, as transformers defines it for chat templates. */
    public static String raiseException(String message) {
        throw new TemplateRaisedException(message);
    }

    /** transformers' {@code strftime_now(format)} for templates that print today's date. */
    public static String strftimeNow(String format) {
        return PythonDateFormat.format(ZonedDateTime.now(), format);
    }

    static final class TemplateRaisedException extends RuntimeException {
        TemplateRaisedException(String message) {
            super(message);
        }
    }

    /** The handful of strftime directives chat templates use. */
    static final class PythonDateFormat {
        private PythonDateFormat() {
        }

        static String format(ZonedDateTime time, String pattern) {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < pattern.length(); i++) {
                char c = pattern.charAt(i);
                if (c != '%' || i + 1 == pattern.length()) {
                    out.append(c);
                    continue;
                }
                char d = pattern.charAt(++i);
                String javaPattern = switch (d) {
                    case 'd' -> "dd";
                    case 'b' -> "MMM";
                    case 'B' -> "MMMM";
                    case 'Y' -> "yyyy";
                    case 'y' -> "yy";
                    case 'm' -> "MM";
                    case 'H' -> "HH";
                    case 'M' -> "mm";
                    case 'S' -> "ss";
                    case 'A' -> "EEEE";
                    case 'a' -> "EEE";
                    default -> null;
                };
                if (javaPattern == null) {
                    out.append(d == '%' ? "%" : "%" + d);
                } else {
                    out.append(time.format(DateTimeFormatter.ofPattern(javaPattern, Locale.ENGLISH)));
                }
            }
            return out.toString();
        }
    }
}
