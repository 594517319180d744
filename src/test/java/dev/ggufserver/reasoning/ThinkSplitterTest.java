package dev.ggufserver.reasoning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.support.Chunking;
import java.util.ArrayList;
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
            ThinkSplitter.Split split = Chunking.split(splitterFor(start), pieces);

            assertThat(split.reasoning()).as("reasoning of %s in pieces %s", name, pieces).isEqualTo(reasoning);
            assertThat(split.content()).as("content of %s in pieces %s", name, pieces).isEqualTo(content);
        }
    }

    private static ThinkSplitter splitterFor(Start start) {
        return switch (start) {
            case INSIDE -> ThinkSplitter.insideThought();
            case EXPECTING -> ThinkSplitter.expectingOpenTag();
            case PASSTHROUGH -> ThinkSplitter.passthrough();
        };
    }

    /**
     * Where the tags the splitter must take out of {@code output} are, as [begin, end) ranges, by the rule in
     * ThinkSplitter's documentation (not by running it): an opening tag only at the very start after whitespace when
     * one is expected, then the first close tag of the thought. Any other tag is text, and so is everything in
     * passthrough.
     */
    private static List<int[]> tagsTakenOut(Start start, String output) {
        List<int[]> tags = new ArrayList<>();
        int thought;
        switch (start) {
            case PASSTHROUGH -> {
                return tags;
            }
            case INSIDE -> thought = 0;
            default -> {
                int first = output.length() - output.stripLeading().length();
                if (!output.startsWith(ThinkSplitter.OPEN, first)) {
                    return tags; // no thought at all: every byte is content
                }
                tags.add(new int[]{first, first + ThinkSplitter.OPEN.length()});
                thought = first + ThinkSplitter.OPEN.length();
            }
        }
        int close = output.indexOf(ThinkSplitter.CLOSE, thought);
        if (close >= 0) {
            tags.add(new int[]{close, close + ThinkSplitter.CLOSE.length()});
        }
        return tags;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void neverEmitsPartOfATag(String name, Start start, String output, String reasoning, String content) {
        List<int[]> tags = tagsTakenOut(start, output);
        for (List<String> pieces : Chunking.allWays(output)) {
            ThinkSplitter splitter = splitterFor(start);
            StringBuilder reasoningSoFar = new StringBuilder();
            StringBuilder contentSoFar = new StringBuilder();
            int received = 0;
            for (String piece : pieces) {
                ThinkSplitter.Split split = splitter.accept(piece);
                received += piece.length();
                reasoningSoFar.append(split.reasoning());
                contentSoFar.append(split.content());
                for (int[] tag : tags) {
                    if (tag[0] < received && received < tag[1]) {
                        // this piece ended inside a tag that later pieces complete: none of it may be out yet
                        String partOfTag = output.substring(tag[0], received);
                        assertThat(reasoningSoFar).as("reasoning of %s after %s in pieces %s", name, partOfTag,
                                pieces).doesNotEndWith(partOfTag);
                        assertThat(contentSoFar).as("content of %s after %s in pieces %s", name, partOfTag,
                                pieces).doesNotEndWith(partOfTag);
                    }
                }
                // and nothing emitted is ever taken back: what is out so far begins what comes out in the end
                assertThat(reasoning).as("reasoning of %s after piece %s of %s", name, piece, pieces)
                        .startsWith(reasoningSoFar);
                assertThat(content).as("content of %s after piece %s of %s", name, piece, pieces)
                        .startsWith(contentSoFar);
            }
            ThinkSplitter.Split rest = splitter.finish();
            String out = reasoningSoFar.append(rest.reasoning()) + "\n" + contentSoFar.append(rest.content());
            for (String tag : List.of(ThinkSplitter.OPEN, ThinkSplitter.CLOSE)) {
                long takenOut = tags.stream().filter(t -> output.startsWith(tag, t[0])).count();
                assertThat(occurrences(out, tag)).as("%s left in %s in pieces %s", tag, name, pieces)
                        .isEqualTo(occurrences(output, tag) - takenOut);
            }
        }
    }

    private static int occurrences(String text, String tag) {
        int n = 0;
        for (int i = text.indexOf(tag); i >= 0; i = text.indexOf(tag, i + 1)) {
            n++;
        }
        return n;
    }

    @org.junit.jupiter.api.Test
    void startStateFollowsTheRenderedPrompt() {
        assertThat(ThinkSplitter.forPrompt("<｜User｜>hi<｜Assistant｜><think>\n").isInsideThought()).isTrue();
        assertThat(ThinkSplitter.forPrompt("<｜User｜>hi<｜Assistant｜>").isInsideThought()).isFalse();
        assertThat(ThinkSplitter.forPrompt("<｜User｜>hi<｜Assistant｜><think>\n\n</think>\n\n").isInAnswer()).isTrue();
    }

    @org.junit.jupiter.api.Test
    void afterAClosedEmptyThoughtEverythingIsTheAnswerEvenATagTheModelWrites() {
        ThinkSplitter s = ThinkSplitter.forPrompt("<｜Assistant｜><think>\n\n</think>\n\n");

        assertThat(s.accept("<think>x").content()).isEqualTo("<think>x");
        assertThat(s.accept("</think> y").content()).isEqualTo("</think> y");
    }

    @org.junit.jupiter.api.Test
    void withoutThinkingTheAnswerBeginsAfterAnEmptyClosedThought() {
        // R1's template opens the thought; an older one lets the model open it; a Qwen3-style one closed it already
        assertThat(ThinkSplitter.withoutThinking("<｜User｜>hi<｜Assistant｜><think>\n"))
                .isEqualTo("<｜User｜>hi<｜Assistant｜><think>\n\n</think>\n\n");
        assertThat(ThinkSplitter.withoutThinking("<｜User｜>hi<｜Assistant｜>"))
                .isEqualTo("<｜User｜>hi<｜Assistant｜><think>\n\n</think>\n\n");
        assertThat(ThinkSplitter.withoutThinking("<|im_start|>assistant\n<think>\n\n</think>\n\n"))
                .isEqualTo("<|im_start|>assistant\n<think>\n\n</think>\n\n");
    }
}
