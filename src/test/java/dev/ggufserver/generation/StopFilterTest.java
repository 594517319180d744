package dev.ggufserver.generation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.support.Chunking;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StopFilterTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                // stops, text, expected output, stopped
                Arguments.of(List.of(), "Hello world", "Hello world", false),
                Arguments.of(List.of(" world"), "Hello world and more", "Hello", true),
                Arguments.of(List.of("wor", "lo"), "Hello world", "Hel", true),
                Arguments.of(List.of("xyz"), "Hello world", "Hello world", false),
                Arguments.of(List.of("world!"), "Hello world", "Hello world", false),
                Arguments.of(List.of("\n\n"), "line one\nline two\n\nline three", "line one\nline two", true),
                Arguments.of(List.of("😊"), "hi 你好 😊 there", "hi 你好 ", true),
                Arguments.of(List.of("aab"), "aaab", "a", true),
                Arguments.of(List.of("Hello"), "Hello", "", true));
    }

    @ParameterizedTest(name = "{0} in {1}")
    @MethodSource("cases")
    void stopsAtTheEarliestStopStringHoweverTheTextIsChunked(List<String> stops, String text, String expected,
                                                             boolean stopped) {
        for (List<String> pieces : Chunking.allWays(text)) {
            StopFilter filter = new StopFilter(stops);
            StringBuilder out = new StringBuilder();
            for (String piece : pieces) {
                String emitted = filter.accept(piece);
                out.append(emitted);
                for (String stop : stops) {
                    assertThat(out.toString()).as("no stop string leaks, pieces %s", pieces).doesNotContain(stop);
                }
            }
            out.append(filter.finish());
            assertThat(out.toString()).as("pieces %s", pieces).isEqualTo(expected);
            assertThat(filter.stopped()).isEqualTo(stopped);
        }
    }
}
