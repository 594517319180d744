package dev.ggufserver.api.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.ggufserver.engine.ContentSpan;
import dev.ggufserver.engine.ContextLengthExceededException;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.EngineUnavailableException;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.generation.CompletionSink;
import dev.ggufserver.generation.PreparedCompletion;
import dev.ggufserver.engine.AdmissionQueue;
import dev.ggufserver.generation.ServedModel;
import dev.ggufserver.generation.ToolUse;
import dev.ggufserver.grammar.StructuredOutput;
import dev.ggufserver.generation.Timings;
import dev.ggufserver.generation.Usage;
import dev.ggufserver.output.MessageDelta;
import dev.ggufserver.output.ToolCallFolder;
import dev.ggufserver.reasoning.ReasoningFormat;
import io.javalin.http.Context;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.List;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shared by both completion endpoints, after the request is parsed and the prompt rendered: run the one generation
 * path into either an SSE stream or a single JSON body (the engine counts the prompt and refuses one that does not
 * fit before anything is sent).
 */
final class CompletionResponder {
    private static final Logger log = LoggerFactory.getLogger(CompletionResponder.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ID_ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private final ObjectMapper mapper;
    private final boolean logPrompts;

    CompletionResponder(ObjectMapper mapper, boolean logPrompts) {
        this.mapper = mapper;
        this.logPrompts = logPrompts;
    }

    /** A random id such as {@code chatcmpl-2fKx…} (24 base-62 characters, about 143 bits). */
    static String newId(String prefix) {
        StringBuilder id = new StringBuilder(prefix);
        for (int i = 0; i < 24; i++) {
            id.append(ID_ALPHABET[RANDOM.nextInt(ID_ALPHABET.length)]);
        }
        return id.toString();
    }

    /**
     * The completion a request asks for (unlimited thinking, not controllable: see
     * {@link PreparedCompletion#withThinking}).
     *
     * @param output       what the answer must be (a structured output, or tool calls), or null
     * @param tools        how tool calls are read and guarded, or null
     * @param thinksFirst  the model thinks before it answers (a constraint holds after the thought)
     */
    static PreparedCompletion prepare(String prompt, List<ContentSpan> content, RequestParser.Common common,
                                      StructuredOutput output, ToolUse tools, ReasoningFormat reasoningFormat,
                                      boolean splitReasoning, boolean thinksFirst) {
        int maxTokens = common.maxTokens() == null ? GenerationRequest.UNTIL_CONTEXT_IS_FULL : common.maxTokens();
        return new PreparedCompletion(new GenerationRequest(prompt, content, maxTokens, common.sampling(),
                output == null ? null : output.constraint()), common.stop(), reasoningFormat, splitReasoning, output,
                thinksFirst, tools);
    }

    /**
     * @param promptParam the request field the prompt came from, named in a context error
     * @param shapeFactory makes the endpoint's response objects from (created, usage placeholder)
     */
    void respond(Context ctx, ServedModel model, PreparedCompletion completion, String promptParam,
                 RequestParser.Common common, BiFunction<Long, Object, ResponseShape> shapeFactory) {
        if (logPrompts) {
            log.info("Prompt: {}", completion.request().prompt());
        }
        long created = System.currentTimeMillis() / 1000;
        Object usagePlaceholder = common.includeUsage() ? NullNode.getInstance() : null;
        ResponseShape shape = shapeFactory.apply(created, usagePlaceholder);
        if (common.stream()) {
            stream(ctx, model, completion, shape, common.includeUsage(), promptParam);
        } else {
            whole(ctx, model, completion, shape, promptParam);
        }
    }

    private void stream(Context ctx, ServedModel model, PreparedCompletion completion, ResponseShape shape,
                        boolean includeUsage, String promptParam) {
        SseStream sse = SseStream.of(ctx, mapper); // perhaps begun by pings while the model loaded
        ClientConnection connection = ClientConnection.of(ctx.req());
        StringBuilder transcript = new StringBuilder(); // only with --log-prompts
        CompletionSink sink = new CompletionSink() {
            @Override
            public void keepAlive() throws IOException {
                try {
                    sse.ping();
                } catch (IOException e) {
                    connection.markClosed();
                    throw e;
                }
            }

            @Override
            public boolean clientGone() {
                return connection.closed();
            }

            @Override
            public void begin() throws IOException {
                Object first = shape.firstChunk();
                if (first != null) {
                    sse.event(first); // goes out with the first piece (or a keep-alive), as llama-server's does
                }
            }

            @Override
            public void delta(MessageDelta delta) throws IOException {
                if (logPrompts) {
                    transcript.append(delta.reasoning()).append(delta.content());
                }
                for (Object chunk : shape.deltaChunks(delta)) {
                    sse.event(chunk);
                }
                sse.flush();
            }

            @Override
            public void finish(FinishReason reason, Usage usage, Timings timings) throws IOException {
                logAnswer(reason, usage, transcript);
                sse.event(shape.finishChunk(reason, timings));
                if (includeUsage) {
                    sse.event(shape.usageChunk(usage));
                }
                sse.done(); // sent with the end of the response, in one write
            }
        };
        try {
            model.runner().run(completion, sink);
        } catch (IOException e) {
            log.debug("Stream ended early: client gone ({})", e.toString());
        } catch (EngineException | RuntimeException e) {
            failStream(sse, e, promptParam);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failStream(sse, e, promptParam);
        } finally {
            connection.stopProbing();
        }
    }

    private void logAnswer(FinishReason reason, Usage usage, CharSequence text) {
        if (logPrompts) {
            log.info("Answer ({}, {} tokens): {}", ResponseShape.wireName(reason), usage.completionTokens(), text);
        }
    }

    /**
     * 400 context_length_exceeded naming the prompt's field; 503 with Retry-After while busy or restarting; 500 with
     * the engine's message when it failed.
     */
    static ApiException toApi(EngineException e, String promptParam) {
        if (e instanceof ContextLengthExceededException tooLong) {
            return ApiException.invalid(promptParam, "context_length_exceeded", String.format(
                    "This model's maximum context length is %d tokens. However, your %s resulted in %d tokens. "
                            + "Please reduce the length of the %s.", tooLong.contextTokens(), promptParam,
                    tooLong.promptTokens(), promptParam));
        }
        if (e instanceof AdmissionQueue.OverloadedException) {
            return ApiException.unavailable(e.getMessage(), "server_overloaded", ModelsHandler.RETRY_AFTER_SECONDS);
        }
        if (e instanceof EngineUnavailableException) {
            return ApiException.unavailable(e.getMessage(), "engine_unavailable", ModelsHandler.RETRY_AFTER_SECONDS);
        }
        return ApiException.serverError(e.getMessage());
    }

    /** Before the first byte, a plain HTTP error; after it, one error frame and the end of the stream. */
    private void failStream(SseStream sse, Exception e, String promptParam) {
        ApiException error = e instanceof ApiException api ? api
                : e instanceof EngineException engine ? toApi(engine, promptParam)
                : ApiException.serverError(describe(e));
        if (!sse.committed()) {
            throw error;
        }
        log.warn("Stream failed after it started: {}", e.toString());
        try {
            sse.event(error.body());
        } catch (IOException ignored) {
            // the client is gone as well
        }
    }

    private void whole(Context ctx, ServedModel model, PreparedCompletion completion, ResponseShape shape,
                       String promptParam) {
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        ToolCallFolder calls = new ToolCallFolder();
        Object[] response = new Object[1];
        ClientConnection connection = ClientConnection.of(ctx.req());
        CompletionSink sink = new CompletionSink() {
            @Override
            public void keepAlive() {
                // nothing can be sent before the JSON body
            }

            @Override
            public boolean clientGone() {
                return connection.closed();
            }

            @Override
            public void begin() {
            }

            @Override
            public synchronized void delta(MessageDelta delta) {
                reasoning.append(delta.reasoning());
                content.append(delta.content());
                calls.add(delta.toolCalls());
            }

            @Override
            public void finish(FinishReason reason, Usage usage, Timings timings) {
                if (logPrompts) {
                    log.info("Answer ({}, {} tokens): reasoning {} content {}", ResponseShape.wireName(reason),
                            usage.completionTokens(), reasoning, content);
                }
                response[0] = shape.complete(reasoning.toString(), content.toString(), calls.calls(), reason, usage,
                        timings);
            }
        };
        try {
            model.runner().run(completion, sink);
        } catch (EngineException e) {
            throw toApi(e, promptParam);
        } catch (IOException e) {
            throw ApiException.serverError(describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.serverError("the server is shutting down");
        } finally {
            connection.stopProbing();
        }
        if (response[0] == null) {
            return; // the client left; nobody reads an answer
        }
        ctx.status(200).json(response[0]);
    }

    private static String describe(Exception e) {
        return e instanceof EngineException ? e.getMessage() : "internal error while generating";
    }
}
