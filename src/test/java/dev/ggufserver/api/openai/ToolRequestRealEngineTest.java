package dev.ggufserver.api.openai;

import static dev.ggufserver.api.openai.BadTools.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ggufserver.server.GgufServer;
import dev.ggufserver.support.Http;
import dev.ggufserver.support.RealServers;
import dev.ggufserver.testmodel.TinyModel;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * Tool use sent to the real engine's server: malformed tools, tool choices and conversations are each a 400 naming
 * the field, with the same engine process afterwards; conversations with earlier calls and tool outputs, and tools
 * with tool_choice none, are answered.
 */
class ToolRequestRealEngineTest {
    private static final String CHAT = "/v1/chat/completions";

    @Test
    void everyMalformedPartOfToolUseIsA400NamingItAndTheEngineProcessStaysTheSame() {
        GgufServer server = RealServers.server(RealServers.tinyModel(), 512, 4);
        Http http = new Http("http://127.0.0.1:" + server.port());
        long pid = server.engine().workerPid().orElseThrow();
        long restarts = server.engine().restarts();

        SoftAssertions soft = new SoftAssertions();
        for (BadTools.Case c : BadTools.cases()) {
            Http.Response r = http.post(CHAT, c.body());

            soft.assertThat(r.status()).as(c + " -> " + r.body()).isEqualTo(400);
            JsonNode error = r.json().path("error");
            soft.assertThat(error.path("type").asText()).as(c.toString()).isEqualTo("invalid_request_error");
            soft.assertThat(error.path("param").asText()).as(c.toString()).isEqualTo(c.param());
            soft.assertThat(error.path("message").asText()).as(c.toString()).contains(c.words());
        }
        soft.assertAll();

        assertThat(server.engine().workerPid().orElseThrow()).isEqualTo(pid);
        assertThat(server.engine().restarts()).isEqualTo(restarts);
    }

    @Test
    void aConversationWithAnEarlierCallAndItsOutputIsAnswered() {
        Http http = new Http(RealServers.url());

        Http.Response r = http.post(CHAT, json("{'messages':[" + BadTools.USER + "," + BadTools.CALL + ","
                + BadTools.ANSWER + ",{'role':'user','content':'thanks'}]}"));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().at("/choices/0/message/content").asText()).isEqualTo(TinyModel.ANSWER);
        assertThat(r.json().at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void toolsWithToolChoiceNoneAreAnsweredWithText() {
        Http http = new Http(RealServers.url());

        Http.Response r = http.post(CHAT, json("{'messages':[" + BadTools.USER + "],'tools':[" + BadTools.WEATHER
                + "],'tool_choice':'none','parallel_tool_calls':false}"));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().at("/choices/0/message/content").asText()).isEqualTo(TinyModel.ANSWER);
    }
}
