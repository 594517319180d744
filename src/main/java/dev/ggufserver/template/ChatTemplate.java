package dev.ggufserver.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model's Jinja chat template ({@code tokenizer.chat_template}), rendered in Java with Jinjava the way Hugging
 * Face's {@code apply_chat_template} renders it (trim_blocks and lstrip_blocks on, {@code raise_exception} and
 * {@code strftime_now} available).
 *
 * <p>We render ourselves instead of calling the binding's applyTemplate, which corrupts characters outside the
 * Basic Multilingual Plane, truncates the prompt's end and aborts the JVM on malformed input.
 */
public final class ChatTemplate {
    private static final int MAX_OUTPUT_CHARS = 64 * 1024 * 1024;

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final boolean engineAddsBos;
    private final Jinjava jinjava;

    /**
     * @param engineAddsBos when the engine puts BOS in front of every prompt itself, a BOS the template writes is
     *                      removed so the model does not see two
     */
    public ChatTemplate(String source, String bosToken, String eosToken, boolean engineAddsBos) {
        this.source = source;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.engineAddsBos = engineAddsBos;
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .build();
        this.jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                ChatTemplate.class, "strftimeNow", String.class));
    }

    public String source() {
        return source;
    }

    /**
     * Renders the conversation; with {@code addGenerationPrompt} the result ends where the assistant's answer
     * begins.
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) throws TemplateException {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", list);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        RenderResult result;
        try {
            result = jinjava.renderForResult(source, context);
        } catch (TemplateRaisedException e) {
            throw new TemplateException("the chat template rejected the messages: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new TemplateException("the chat template failed: " + e.getMessage());
        }
        for (TemplateError error : result.getErrors()) {
            for (Throwable t = error.getException(); t != null; t = t.getCause()) {
                if (t instanceof TemplateRaisedException raised) {
                    throw new TemplateException("the chat template rejected the messages: " + raised.getMessage());
                }
            }
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new TemplateException("the chat template failed: " + error.getMessage());
            }
        }
        String prompt = result.getOutput();
        if (engineAddsBos && !bosToken.isEmpty() && prompt.startsWith(bosToken)) {
            prompt = prompt.substring(bosToken.length());
        }
        return prompt;
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
