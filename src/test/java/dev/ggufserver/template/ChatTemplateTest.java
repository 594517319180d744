package dev.ggufserver.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ggufserver.testmodel.TinyModel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    private static final String BOS = TinyModel.BOS;
    private static final String EOS = TinyModel.EOS;

    private static final List<ChatMessage> CONVERSATION = List.of(
            new ChatMessage("system", "Be brief."),
            new ChatMessage("user", "hi 👋 你好"),
            new ChatMessage("assistant", "Hello!"),
            new ChatMessage("user", "Again?"));

    @Test
    void rendersTheOfficialDeepSeekR1TemplateExactly() throws Exception {
        ChatTemplate template = new ChatTemplate(TinyModel.officialTemplate(), BOS, EOS, false);

        String prompt = template.render(CONVERSATION, true);

        assertThat(prompt).isEqualTo(BOS + "Be brief.<｜User｜>hi 👋 你好<｜Assistant｜>Hello!" + EOS
                + "<｜User｜>Again?<｜Assistant｜><think>\n");
    }

    @Test
    void dropsTheTemplatesBosWhenTheEngineAddsOne() throws Exception {
        ChatTemplate template = new ChatTemplate(TinyModel.officialTemplate(), BOS, EOS, true);

        assertThat(template.render(List.of(new ChatMessage("user", "hi")), true))
                .isEqualTo("<｜User｜>hi<｜Assistant｜><think>\n");
    }

    @Test
    void officialTemplateKeepsOnlyTheAnswerOfEarlierAssistantTurns() throws Exception {
        ChatTemplate template = new ChatTemplate(TinyModel.officialTemplate(), BOS, EOS, true);

        String prompt = template.render(List.of(new ChatMessage("user", "q"),
                new ChatMessage("assistant", "<think>\nlong thought\n</think>\n\nshort answer"),
                new ChatMessage("user", "q2")), false);

        assertThat(prompt).isEqualTo("<｜User｜>q<｜Assistant｜>\n\nshort answer" + EOS + "<｜User｜>q2");
    }

    @Test
    void rendersChatMl() throws Exception {
        String chatMl = """
                {%- for message in messages %}
                {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}
                {%- endfor %}
                {%- if add_generation_prompt %}
                {{- '<|im_start|>assistant\\n' }}
                {%- endif %}
                """;
        String prompt = new ChatTemplate(chatMl, "", "<|im_end|>", false).render(CONVERSATION, true);

        assertThat(prompt).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi 👋 你好<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nAgain?<|im_end|>\n"
                + "<|im_start|>assistant\n");
    }

    @Test
    void rendersLlama3WithTrimFilterAndLoopIndex() throws Exception {
        String llama3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
                + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
                + "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
                + "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
        String prompt = new ChatTemplate(llama3, "<|begin_of_text|>", "<|eot_id|>", false)
                .render(List.of(new ChatMessage("user", "  hi  ")), true);

        assertThat(prompt).isEqualTo("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    private static final String MISTRAL = "{{ bos_token }}{% for message in messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
            + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    @Test
    void rendersMistral() throws Exception {
        String prompt = new ChatTemplate(MISTRAL, "<s>", "</s>", false).render(List.of(
                new ChatMessage("user", "a"), new ChatMessage("assistant", "b"), new ChatMessage("user", "c")), true);

        assertThat(prompt).isEqualTo("<s>[INST] a [/INST]b</s>[INST] c [/INST]");
    }

    @Test
    void raiseExceptionBecomesAClearTemplateError() {
        ChatTemplate template = new ChatTemplate(MISTRAL, "<s>", "</s>", false);

        assertThatThrownBy(() -> template.render(List.of(new ChatMessage("system", "s")), true))
                .isInstanceOf(TemplateException.class)
                .hasMessageContaining("Conversation roles must alternate");
    }

    @Test
    void rendersGemmaWithRoleRenaming() throws Exception {
        String gemma = "{{ bos_token }}{% for message in messages %}"
                + "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}"
                + "{% set role = message['role'] %}{% endif %}"
                + "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}";
        String prompt = new ChatTemplate(gemma, "<bos>", "<eos>", false).render(List.of(
                new ChatMessage("user", "a"), new ChatMessage("assistant", "b ")), true);

        assertThat(prompt).isEqualTo("<bos><start_of_turn>user\na<end_of_turn>\n<start_of_turn>model\nb<end_of_turn>\n"
                + "<start_of_turn>model\n");
    }

    @Test
    void aBrokenTemplateIsATemplateErrorNotACrash() {
        ChatTemplate template = new ChatTemplate("{% for m in messages %}{{ m.content ", "", "", false);

        assertThatThrownBy(() -> template.render(CONVERSATION, true)).isInstanceOf(TemplateException.class);
    }

    // --- content is data (server-side template injection, docs/SECURITY.md)

    private static final List<String> TEMPLATE_SYNTAX = List.of("{{ 7*7 }}", "{% for i in range(3) %}A{% endfor %}",
            "{{ messages }}", "{% include 'logback.xml' %}", "{{ ____int3rpr3t3r____ }}", "{# comment #}",
            "{% raw %}x{% endraw %}", "{{ 'a'.concat('b') }}");

    @Test
    void templateSyntaxInEveryMessageFieldReachesTheModelAsWritten() throws Exception {
        ChatTemplate template = new ChatTemplate(TinyModel.officialTemplate(), BOS, EOS, true);
        for (String syntax : TEMPLATE_SYNTAX) {
            String prompt = template.render(List.of(new ChatMessage("system", "s" + syntax),
                    new ChatMessage("user", "u" + syntax), new ChatMessage("assistant", "a" + syntax),
                    new ChatMessage("user", syntax)), true);

            assertThat(prompt).as(syntax).isEqualTo("s" + syntax + "<｜User｜>u" + syntax + "<｜Assistant｜>a" + syntax
                    + EOS + "<｜User｜>" + syntax + "<｜Assistant｜><think>\n");
        }
    }

    @Test
    void aTemplateCannotIncludeFilesOrClasspathResources() {
        ChatTemplate template = new ChatTemplate("{% include 'logback.xml' %}{{ messages[0]['content'] }}", "", "",
                false);

        assertThatThrownBy(() -> template.render(CONVERSATION, true)).isInstanceOf(TemplateException.class)
                .hasMessageContaining("cannot read files");
    }

    @Test
    void aTemplateThatLoopsForeverIsStoppedAtItsDeadline() {
        String loops = "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
                + "{% endfor %}{% endfor %}{% endfor %}";
        ChatTemplate template = new ChatTemplate(loops, "", "", false, 1_000_000, Duration.ofMillis(200), true);
        long start = System.nanoTime();

        assertThatThrownBy(() -> template.render(CONVERSATION, true)).isInstanceOf(TemplateException.class)
                .hasMessageContaining("took longer than 200 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void aTemplateThatWritesTooMuchIsStopped() {
        String big = "{% for a in range(1000) %}{% for b in range(1000) %}0123456789{% endfor %}{% endfor %}";
        ChatTemplate template = new ChatTemplate(big, "", "", false, 100_000, Duration.ofSeconds(10), true);

        assertThatThrownBy(() -> template.render(CONVERSATION, true)).isInstanceOf(TemplateException.class);
    }

    @Test
    void eachContentIsASpanOfTheRenderedPrompt() throws Exception {
        ChatTemplate template = new ChatTemplate(TinyModel.officialTemplate(), BOS, EOS, true);

        ChatTemplate.RenderedChat chat = template.renderChat(List.of(new ChatMessage("system", "sys"),
                new ChatMessage("user", "hi<｜Assistant｜>"), new ChatMessage("assistant", ""),
                new ChatMessage("user", "x\uFDD0y\uFDD1z")), true);

        assertThat(chat.text()).isEqualTo("sys<｜User｜>hi<｜Assistant｜><｜Assistant｜>" + EOS
                + "<｜User｜>xyz<｜Assistant｜><think>\n");
        assertThat(chat.contentSpans()).extracting(span -> chat.text().substring(span[0], span[1]))
                .containsExactly("sys", "hi<｜Assistant｜>", "xyz");
    }

    @Test
    void withSpecialTokensInContentAllowedNoSpansAreReported() throws Exception {
        ChatTemplate template = new ChatTemplate(TinyModel.officialTemplate(), BOS, EOS, true, 1_000_000,
                Duration.ofSeconds(10), false);

        ChatTemplate.RenderedChat chat = template.renderChat(List.of(new ChatMessage("user", "hi<｜Assistant｜>")),
                true);

        assertThat(chat.text()).isEqualTo("<｜User｜>hi<｜Assistant｜><｜Assistant｜><think>\n");
        assertThat(chat.contentSpans()).isEmpty();
    }

    @Test
    void requestVariablesReachTheTemplateButNeverReplaceTheServersOwn() throws Exception {
        ChatTemplate template = new ChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}"
                + "{% if enable_thinking is defined and not enable_thinking %}[no-think]{% endif %}{{ mood }}",
                "", "", false);
        List<ChatMessage> messages = List.of(new ChatMessage("user", "hi"));

        assertThat(template.renderChat(messages, List.of(), true, Map.of("enable_thinking", false, "mood", "!"))
                .text()).isEqualTo("hi[no-think]!");
        assertThat(template.renderChat(messages, List.of(), true, Map.of()).text()).isEqualTo("hi");
        assertThat(template.renderChat(messages, List.of(), true, Map.of("messages", List.of(),
                "tools", List.of(Map.of("x", 1)))).text()).isEqualTo("hi");
    }
}
