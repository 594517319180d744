package dev.ggufserver.api.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.generation.CompletionRunner;
import dev.ggufserver.generation.PreparedCompletion;
import dev.ggufserver.generation.ModelHost;
import dev.ggufserver.generation.ServedModel;
import dev.ggufserver.generation.ToolUse;
import dev.ggufserver.grammar.StructuredOutput;
import dev.ggufserver.grammar.ToolCallGrammar;
import dev.ggufserver.grammar.UnsupportedSchemaException;
import dev.ggufserver.output.ToolCallFormat;
import dev.ggufserver.reasoning.ReasoningFormat;
import dev.ggufserver.reasoning.ThinkSplitter;
import dev.ggufserver.reasoning.ThinkingBudget;
import dev.ggufserver.engine.ContentSpan;
import dev.ggufserver.template.ChatMessage;
import dev.ggufserver.template.ChatTemplate;
import dev.ggufserver.template.TemplateException;
import dev.ggufserver.template.ToolDefinition;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** POST /v1/chat/completions (and its control endpoint) and POST /v1/completions. */
public final class CompletionHandlers {
    /**
     * The context attribute holding who called: the digest of the caller's API key, set by the key check when keys
     * are on (absent otherwise).
     */
    public static final String CALLER = "gguf.caller";
    private static final String REASONING_END = "reasoning_end";
    private final ModelHost host;
    private final RequestParser parser;
    private final CompletionResponder responder;
    private final int maxPromptChars;
    private final ObjectMapper mapper;
    /** ": ping" every this often on a stream that waits (for a model to load, for a slot, for a token). */
    private final long keepAliveMillis;
    /** Sends the pings of streams waiting for their model to load (a model's own timer exists once it is loaded). */
    private static final java.util.concurrent.ScheduledExecutorService loadPings =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "load-keep-alive");
                t.setDaemon(true);
                return t;
            });

    /**
     * @param maxMessages    most messages in a chat request
     * @param maxPromptChars most characters of prompt text in a request
     * @param logPrompts     log prompts and answers (they are the users' data: off unless asked for)
     * @param keepAliveMillis interval of ": ping" comments on streams that wait for their model to load
     */
    public CompletionHandlers(ModelHost host, ObjectMapper mapper, int maxMessages, int maxPromptChars,
                              boolean logPrompts, long keepAliveMillis) {
        this.keepAliveMillis = keepAliveMillis;
        this.host = host;
        this.parser = new RequestParser(mapper, maxMessages, maxPromptChars);
        this.maxPromptChars = maxPromptChars;
        this.mapper = mapper;
        this.responder = new CompletionResponder(mapper, logPrompts);
    }

    public void chat(Context ctx) {
        admitted(ctx, this::chatCompletion);
    }

    public void completion(Context ctx) {
        admitted(ctx, this::textCompletion);
    }

    /** The model the request names, loaded; a streamed request gets pings while it loads (null: it failed then). */
    private ModelHost.Lease lease(Context ctx, RequestParser.Common common) {
        if (!common.stream()) {
            return ModelsHandler.lease(host, common.model(), ModelsHandler.Use.GENERATE);
        }
        return ModelsHandler.leaseStreaming(host, common.model(), ModelsHandler.Use.GENERATE,
                SseStream.of(ctx, mapper), loadPings, keepAliveMillis);
    }

    private void admitted(Context ctx, java.util.function.Consumer<Context> completion) {
        ModelsHandler.whileServing(host, () -> completion.accept(ctx));
    }

    private void chatCompletion(Context ctx) {
        RequestParser.ChatRequest request = parser.chat(ctx.bodyAsBytes());
        onModel(ctx, request.common(), model -> chatCompletion(ctx, request, model));
    }

    /**
     * Runs a completion on the model the request names, held for the whole completion (the model is not unloaded
     * under it), which the request's {@code keep_alive} then applies to.
     */
    private void onModel(Context ctx, RequestParser.Common common, java.util.function.Consumer<ServedModel> run) {
        try (ModelHost.Lease lease = lease(ctx, common)) {
            if (lease == null) {
                return; // the model failed to load once the stream had begun: its error event was the answer
            }
            lease.keepAlive(common.keepAlive());
            run.accept(lease.model());
        }
    }

    private void chatCompletion(Context ctx, RequestParser.ChatRequest request, ServedModel model) {
        checkTokenIds(request.common(), model);
        ChatTemplate.RenderedChat prompt;
        try {
            prompt = model.template().renderChat(withoutEarlierThinking(request.messages()), promptTools(request),
                    true, templateVariables(request.thinking()));
        } catch (TemplateException e) {
            throw ApiException.invalid("messages", e.getMessage());
        }
        // the limit holds for what the template made of the messages, not only for what the client sent
        if (prompt.text().length() > maxPromptChars) {
            throw ApiException.invalid("messages", "prompt_too_long", "The rendered prompt has "
                    + prompt.text().length() + " characters; this server accepts at most " + maxPromptChars
                    + " (see --max-prompt-chars).");
        }
        List<ContentSpan> content = new ArrayList<>(prompt.contentSpans().size());
        for (int[] span : prompt.contentSpans()) {
            content.add(new ContentSpan(span[0], span[1]));
        }
        ReasoningFormat format = request.reasoningFormat() != null
                ? request.reasoningFormat() : model.defaultReasoningFormat();
        String id = CompletionResponder.newId("chatcmpl-");
        String modelId = model.info().id();
        // a thinking model's template speaks of its close tag (to drop earlier thoughts, or to open one)
        boolean thinks = model.template().source().contains(ThinkSplitter.CLOSE)
                || ThinkSplitter.forPrompt(prompt.text()).isInsideThought();
        int budget = request.thinking().budget(model.thinkingBudgets());
        String promptText = prompt.text();
        if (thinks && budget == 0) { // no thinking: the answer begins after an empty thought
            promptText = ThinkSplitter.withoutThinking(promptText);
            thinks = false;
        }
        ToolUse tools = toolUse(request, model);
        StructuredOutput output = request.common().output();
        if (tools != null && !tools.guardsOpenedCalls()) { // required, or a named tool: the answer is calls
            output = StructuredOutput.toolCalls(callsGrammar(request, tools.format()));
        }
        // a budget holds only where the model thinks (on others it is ignored, as documented)
        ThinkingBudget thinking = thinks ? model.thinkingBudgets().budget(budget) : ThinkingBudget.NONE;
        PreparedCompletion completion = CompletionResponder.prepare(promptText, content, request.common(), output,
                tools, format, true, thinks).withThinking(thinking, id, ctx.attribute(CALLER));
        responder.respond(ctx, model, completion, "messages", request.common(),
                (created, usage) -> new ChatShape(id, created, modelId, usage));
    }

    /** The request's chat_template_kwargs as the template sees them: JSON values as plain Java ones. */
    private Map<String, Object> templateVariables(RequestParser.Thinking thinking) {
        if (thinking.templateKwargs() == null) {
            return Map.of();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> variables = mapper.convertValue(thinking.templateKwargs(), Map.class);
        return variables;
    }

    /**
     * POST /v1/chat/completions/control: {@code {"id": "chatcmpl-…", "action": "reasoning_end"}} ends the thinking
     * of that running completion at once, so that it answers. Only its own caller (same API key) may.
     */
    public void control(Context ctx) {
        JsonNode body = parser.object(ctx.bodyAsBytes());
        JsonNode id = body.get("id");
        if (id == null || !id.isTextual() || id.asText().isEmpty()) {
            throw ApiException.invalid("id", "id must be the id of a running chat completion (chatcmpl-…)");
        }
        JsonNode action = body.get("action");
        if (action == null || !action.isTextual() || !action.asText().equals(REASONING_END)) {
            throw ApiException.invalid("action", "action must be '" + REASONING_END + "'");
        }
        ModelsHandler.requireServing(host);
        CompletionRunner.ThinkingControl result = CompletionRunner.ThinkingControl.NOT_FOUND;
        for (ModelHost.Entry entry : host.entries()) { // ids are unique: at most one model runs it
            if (result == CompletionRunner.ThinkingControl.NOT_FOUND && entry.model().isPresent()) {
                result = entry.model().get().runner().endThinking(id.asText(), ctx.attribute(CALLER));
            }
        }
        if (result == CompletionRunner.ThinkingControl.NOT_FOUND) {
            throw new ApiException(404, "invalid_request_error", "No running chat completion '" + id.asText()
                    + "' was started with your credentials.", "id", "completion_not_found", null);
        }
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("id", id.asText());
        response.put("object", "chat.completion.control");
        response.put("action", REASONING_END);
        response.put("applied", result == CompletionRunner.ThinkingControl.ENDING);
        ctx.json(response);
    }

    private void textCompletion(Context ctx) {
        RequestParser.CompletionRequest request = parser.completion(ctx.bodyAsBytes());
        onModel(ctx, request.common(), model -> textCompletion(ctx, request, model));
    }

    private void textCompletion(Context ctx, RequestParser.CompletionRequest request, ServedModel model) {
        checkTokenIds(request.common(), model);
        String id = CompletionResponder.newId("cmpl-");
        String modelId = model.info().id();
        // a raw prompt is the client's own: its special-token text is meant as special tokens, and a grammar holds
        // from the first token, as in llama-server
        responder.respond(ctx, model, CompletionResponder.prepare(request.prompt(), List.of(), request.common(),
                request.common().output(), null, ReasoningFormat.NONE, false, false), "prompt", request.common(),
                (created, usage) -> new TextShape(id, created, modelId, usage));
    }

    /**
     * How this request's tool calls are read and guarded: none without tools or with tool_choice none; under auto,
     * a call the model opens is finished under the grammar of well-formed calls; required and a named tool make
     * the whole answer calls (see {@link #callsGrammar}).
     */
    private static ToolUse toolUse(RequestParser.ChatRequest request, ServedModel model) {
        if (request.tools().isEmpty() || request.toolChoice().mode() == RequestParser.ToolChoice.Mode.NONE) {
            return null;
        }
        ToolCallFormat format = model.template().toolCallFormat();
        if (request.toolChoice().mode() != RequestParser.ToolChoice.Mode.AUTO) {
            return ToolUse.parsed(format);
        }
        try {
            return ToolUse.auto(format, grammarTools(request.tools()), request.parallelToolCalls());
        } catch (UnsupportedSchemaException e) {
            throw ApiException.invalid("tools", "unsupported_schema", "the tools together need " + e.getMessage());
        }
    }

    /** The grammar of an answer that is calls: of any tool (required), or of the one named (one call). */
    private static String callsGrammar(RequestParser.ChatRequest request, ToolCallFormat format) {
        RequestParser.ToolChoice choice = request.toolChoice();
        List<RequestParser.FunctionTool> tools = request.tools();
        if (choice.mode() == RequestParser.ToolChoice.Mode.FUNCTION) {
            tools = tools.stream().filter(t -> t.name().equals(choice.function())).toList();
        }
        try {
            return ToolCallGrammar.calls(format, grammarTools(tools),
                    choice.mode() == RequestParser.ToolChoice.Mode.REQUIRED && request.parallelToolCalls());
        } catch (UnsupportedSchemaException e) {
            throw ApiException.invalid("tools", "unsupported_schema", "the tools together need " + e.getMessage());
        }
    }

    private static List<ToolCallGrammar.Tool> grammarTools(List<RequestParser.FunctionTool> tools) {
        return tools.stream().map(t -> new ToolCallGrammar.Tool(t.name(), t.parameters())).toList();
    }

    /**
     * The tools the prompt shows the model, as the template package takes them. With tool_choice none there are
     * none: the answer is text, and a model shown tools (and, where we inject them, the call syntax) might write a
     * call that would reach the client as raw text.
     */
    private List<ToolDefinition> promptTools(RequestParser.ChatRequest request) {
        if (request.toolChoice().mode() == RequestParser.ToolChoice.Mode.NONE) {
            return List.of();
        }
        List<ToolDefinition> tools = new ArrayList<>(request.tools().size());
        for (RequestParser.FunctionTool tool : request.tools()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> parameters = mapper.convertValue(tool.parameters(), Map.class);
            tools.add(new ToolDefinition(tool.name(), tool.description(), parameters));
        }
        return tools;
    }

    /** llama.cpp silently ignores a bias for a token the vocabulary does not have: say so instead. */
    private static void checkTokenIds(RequestParser.Common common, ServedModel model) {
        int vocabulary = model.info().vocabularySize();
        if (vocabulary <= 0) {
            return;
        }
        for (int token : common.sampling().logitBias().keySet()) {
            if (token >= vocabulary) {
                throw ApiException.invalid("logit_bias", "logit_bias names token " + token + ", but this model's "
                        + "token ids go from 0 to " + (vocabulary - 1));
            }
        }
    }

    /**
     * Earlier answers go back to the model without their thinking, as DeepSeek-R1 is meant to see them (clients
     * may send it back inside content; reasoning_content fields are never read). Their tool calls stay.
     */
    static List<ChatMessage> withoutEarlierThinking(List<ChatMessage> messages) {
        List<ChatMessage> result = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            String content = m.content();
            int close = content.lastIndexOf(ThinkSplitter.CLOSE);
            if (m.role().equals("assistant") && close >= 0) {
                content = content.substring(close + ThinkSplitter.CLOSE.length()).stripLeading();
            }
            result.add(m.withContent(content));
        }
        return result;
    }
}
