package dev.ggufserver.reasoning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.support.Chunking;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ThinkSplitterTest {

    enum Start { INSIDE, EXPECTING, PASSTHROUGH }

    static Stream<Arguments> cases() {
        return Stream.of(
                // name, start, model output, expected reasoning, expected content
                Arguments.of("R1 prefilled thought", Start.INSIDE, "Okay.\n</think>\n\nHello", "Okay.", "Hello"),
                Arguments.of("unclosed thought stays reasoning", Start.INSIDE, "thinking more\n", "thinking more", ""),
                Arguments.of("cut inside the close tag", Start.INSIDE, "abc</thi", "abc</thi", ""),
                Arguments.of("paragraphs inside the thought", Start.INSIDE, "\nA\n\nB\n</think>C", "A\n\nB", "C"),
                Arguments.of("second close tag is content", Start.INSIDE, "A</think>x < y </think> z", "A",
                        "x < y </think> z"),
                Arguments.of("empty thought", Start.INSIDE, "</think>Hi", "", "Hi"),
                Arguments.of("nothing at all", Start.INSIDE, "", "", ""),
                Arguments.of("emoji and CJK", Start.INSIDE, "思考😊</think>答案 👋", "思考😊", "答案 👋"),
                Arguments.of("model writes the open tag", Start.EXPECTING, "<think>\nA\n</think>\n\nB", "A", "B"),
                Arguments.of("whitespace before the open tag", Start.EXPECTING, "\n\n<think>A</think>B", "A", "B"),
                Arguments.of("no tag at all", Start.EXPECTING, "Hello <think> not a tag", "",
                        "Hello <think> not a tag"),
                Arguments.of("almost an open tag", Start.EXPECTING, "<thin k>", "", "<thin k>"),
                Arguments.of("open tag then limit", Start.EXPECTING, "<think>still going", "still going", ""),
                Arguments.of("passthrough keeps every byte", Start.PASSTHROUGH, "A\n</think>\n\nB", "",
                        "A\n</think>\n\nB"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void splitsTheSameWayHoweverTheTextIsChunked(String name, Start start, String output, String reasoning,
                                                 String content) {
        for (List<String> pieces : Chunking.allWays(output)) {
            ThinkSplitter splitter = switch (start) {
                case INSIDE -> ThinkSplitter.insideThought();
                case EXPECTING -> ThinkSplitter.expectingOpenTag();
                case PASSTHROUGH -> ThinkSplitter.passthrough();
            };
            ThinkSplitter.Split split = Chunking.split(splitter, pieces);

            assertThat(split.reasoning()).as("reasoning of %s in pieces %s", name, pieces).isEqualTo(reasoning);
            assertThat(split.content()).as("content of %s in pieces %s", name, pieces).isEqualTo(content);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void neverEmitsPartOfATag(String name, Start start, String output, String reasoning, String content) {
        ThinkSplitter splitter = start == Start.INSIDE ? ThinkSplitter.insideThought() : ThinkSplitter.expectingOpenTag();
        if (start == Start.PASSTHROUGH) {
            return;
        }
        for (String piece : Chunking.pieces(output, 1)) {
            ThinkSplitter.Split split = splitter.accept(piece);
            assertThat(split.reasoning()).doesNotContain("</").doesNotEndWith("<");
        }
    }

    @org.junit.jupiter.api.Test
    void startStateFollowsTheRenderedPrompt() {
        assertThat(ThinkSplitter.forPrompt("<｜User｜>hi<｜Assistant｜><think>\n").isInsideThought()).isTrue();
        assertThat(ThinkSplitter.forPrompt("<｜User｜>hi<｜Assistant｜>").isInsideThought()).isFalse();
    }
}
