package dev.ggufserver.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ggufserver.reasoning.ThinkSplitter;
import dev.ggufserver.support.Chunking;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the think splitter differentially: whatever the text (tags, partial tags, whitespace, surrogate pairs)
 * and however it is cut into pieces, the splitter never throws and says exactly what it says for the whole text at
 * once. Runs for a bounded time in `mvn verify` (20 s, set on the @FuzzTest).
 */
class ThinkSplitterFuzzTest {
    private static final String[] ATOMS = {"<think>", "</think>", "<", "</", "</thi", "think>", "\n", " ", "a",
            "答", "😊", "<think", "\n\n", "x</think>y"};

    @FuzzTest(maxDuration = "20s")
    void piecesNeverChangeTheSplit(FuzzedDataProvider data) {
        boolean inside = data.consumeBoolean();
        StringBuilder text = new StringBuilder();
        List<Integer> cuts = new ArrayList<>();
        int atoms = data.consumeInt(0, 40);
        for (int i = 0; i < atoms; i++) {
            text.append(data.consumeBoolean() ? data.pickValue(ATOMS) : data.consumeString(4));
            if (data.consumeBoolean()) {
                cuts.add(text.length());
            }
        }
        String whole = text.toString();

        ThinkSplitter.Split expected = run(inside, List.of(whole));
        List<String> pieces = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            if (cut > from && !splitsSurrogate(whole, cut)) {
                pieces.add(whole.substring(from, cut));
                from = cut;
            }
        }
        pieces.add(whole.substring(from));
        ThinkSplitter.Split actual = run(inside, pieces);

        assertThat(actual).isEqualTo(expected);
    }

    private static boolean splitsSurrogate(String s, int at) {
        return at > 0 && at < s.length() && Character.isHighSurrogate(s.charAt(at - 1))
                && Character.isLowSurrogate(s.charAt(at));
    }

    private static ThinkSplitter.Split run(boolean inside, List<String> pieces) {
        return Chunking.split(inside ? ThinkSplitter.insideThought() : ThinkSplitter.expectingOpenTag(), pieces);
    }
}
