package dev.ggufserver.support;

import dev.ggufserver.server.GgufServer;
import dev.ggufserver.server.ServerConfig;
import dev.ggufserver.server.StartupException;
import dev.ggufserver.testmodel.TinyModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Real gguf-servers (native engine, real HTTP) on the tiny scripted model, started once per configuration and
 * shared by the test classes of one JVM: llama.cpp 4.2.0 frees nothing on close, so fewer loads keep memory flat.
 */
public final class RealServers {
    private static final Map<String, GgufServer> SERVERS = new ConcurrentHashMap<>();
    private static final Path DIR = tempDir();

    static {
        // workers remove their own directories when their server closes them; the JVM's end alone would not
        Runtime.getRuntime().addShutdownHook(new Thread(() -> SERVERS.values().forEach(GgufServer::close)));
    }

    private RealServers() {
    }

    /** Registered after the directory, so deleted before it at exit. */
    private static Path deletedAtExit(Path file) {
        file.toFile().deleteOnExit();
        return file;
    }

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("gguf-server-test-models");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static synchronized Path tinyModel() {
        Path file = DIR.resolve("tiny-r1.gguf");
        if (!Files.exists(file)) {
            deletedAtExit(TinyModel.write(DIR));
        }
        return file;
    }

    /** The default test server: 4 slots of 512 tokens. */
    public static String url() {
        return url(512, 4);
    }

    public static String url(int contextPerRequest, int parallel) {
        return url(tinyModel(), contextPerRequest, parallel);
    }

    public static synchronized String url(Path model, int contextPerRequest, int parallel) {
        return "http://127.0.0.1:" + server(model, contextPerRequest, parallel).port();
    }

    public static synchronized GgufServer server(Path model, int contextPerRequest, int parallel) {
        return SERVERS.computeIfAbsent(model + ":" + contextPerRequest + ":" + parallel, k -> {
            try {
                return GgufServer.start(ServerConfig.of(model, "127.0.0.1", 0, contextPerRequest, parallel, 2,
                        "tiny-r1"));
            } catch (StartupException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * Two models served by name, each in its own engine process: the default "tiny-r1" (the official template) and
     * "hermes" (the Hermes template, whose weather script writes two Hermes calls). 2048 tokens, 2 slots each.
     */
    public static synchronized GgufServer twoModels() {
        return SERVERS.computeIfAbsent("two-models", k -> {
            try {
                return GgufServer.start(ServerConfig.of(tinyModel(), "127.0.0.1", 0, 2048, 2, 2, "tiny-r1")
                        .withOtherModels(java.util.List.of(new ServerConfig.NamedModel("hermes", tinyModelHermes()))));
            } catch (StartupException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The tiny BERT embedding model ({@link dev.ggufserver.testmodel.TinyBert}). */
    public static synchronized Path tinyBert() {
        Path file = DIR.resolve("tiny-bert.gguf");
        if (!Files.exists(file)) {
            try {
                dev.ggufserver.testmodel.TinyBert.write(deletedAtExit(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return file;
    }

    /**
     * A chat model and an embedding model behind one URL, as a RAG application has them: the default "tiny-r1"
     * and "tiny-bert" (its 128 tokens of context per input), 2 slots each, at most 4 inputs per embeddings
     * request.
     */
    public static synchronized GgufServer chatAndEmbeddings() {
        return SERVERS.computeIfAbsent("chat-and-embeddings", k -> {
            try {
                ServerConfig config = ServerConfig.of(tinyModel(), "127.0.0.1", 0, 512, 2, 2, "tiny-r1")
                        .withOtherModels(java.util.List.of(new ServerConfig.NamedModel("tiny-bert", tinyBert())));
                return GgufServer.start(config.withHttp(config.http().withMaxEmbeddingInputs(4)));
            } catch (StartupException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The tiny model with a template that does not open the thought: the model writes {@code <think>} itself. */
    public static synchronized Path tinyModelWithoutThinkPrefill() {
        Path file = DIR.resolve("tiny-r1-old-template.gguf");
        if (!Files.exists(file)) {
            String template = TinyModel.officialTemplate().replace("{{'<｜Assistant｜><think>\\n'}}",
                    "{{'<｜Assistant｜>'}}");
            if (template.equals(TinyModel.officialTemplate())) {
                throw new IllegalStateException("the official template no longer has the prefill to remove");
            }
            deletedAtExit(TinyModel.write(DIR, "tiny-r1-old-template.gguf", template));
        }
        return file;
    }

    /**
     * The tiny model with a template that never speaks of thinking, as a model without thinking has: the server
     * constrains its answers from the first token (the tiny model would still write {@code <think>} if let).
     */
    public static synchronized Path tinyModelWithoutThinking() {
        Path file = DIR.resolve("tiny-no-thinking.gguf");
        if (!Files.exists(file)) {
            String template = "{% for m in messages %}{% if m.role == 'user' %}<｜User｜>{{ m.content }}{% endif %}"
                    + "{% endfor %}{% if add_generation_prompt %}<｜Assistant｜>{% endif %}";
            deletedAtExit(TinyModel.write(DIR, "tiny-no-thinking.gguf", template));
        }
        return file;
    }

    /**
     * The tiny model with a Hermes-style template (it renders the tools and earlier calls in {@code <tool_call>}
     * blocks) whose weather script writes two Hermes calls, markers split across tokens.
     */
    public static synchronized Path tinyModelHermes() {
        Path file = DIR.resolve("tiny-hermes.gguf");
        if (!Files.exists(file)) {
            deletedAtExit(TinyModel.write(DIR, "tiny-hermes.gguf", HERMES_TEMPLATE, TinyModel.ToolSyntax.HERMES));
        }
        return file;
    }

    /** The tiny model with the official template, whose weather script calls tools in {@code syntax}. */
    public static synchronized Path tinyModelCalling(TinyModel.ToolSyntax syntax) {
        Path file = DIR.resolve("tiny-calls-" + syntax.name().toLowerCase(java.util.Locale.ROOT) + ".gguf");
        if (!Files.exists(file)) {
            deletedAtExit(TinyModel.write(DIR, file.getFileName().toString(), TinyModel.officialTemplate(), syntax));
        }
        return file;
    }

    /** Hermes-style, over the tiny model's role tokens; a tool's output ends the prompt as R1's template does. */
    public static final String HERMES_TEMPLATE = """
            {%- if tools %}<｜User｜># Tools
            <tools>{% for tool in tools %}{{ tool | tojson }}{% endfor %}</tools>
            Call a tool as <tool_call>{"name": ..., "arguments": ...}</tool_call>{% endif %}
            {%- for m in messages %}
            {%- if m.role == 'user' %}<｜User｜>{{ m.content }}
            {%- elif m.role == 'assistant' %}<｜Assistant｜>{{ m.content if m.content else '' }}
            {%- if m.tool_calls %}{% for c in m.tool_calls %}<tool_call>{"name": "{{ c.function.name }}", "arguments": {{ c.function.arguments | tojson }}}</tool_call>{% endfor %}{% endif %}<｜end▁of▁sentence｜>
            {%- elif m.role == 'tool' %}<｜tool▁output▁begin｜>{{ m.content }}<｜tool▁output▁end｜>
            {%- endif %}
            {%- endfor %}
            {%- if messages[-1].role == 'tool' %}<｜tool▁outputs▁end｜>
            {%- elif add_generation_prompt %}<｜Assistant｜><think>
            {% endif %}""";
}
