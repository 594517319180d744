package dev.ggufserver.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenCounterTest {
    private static byte[] b(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private final TokenCounter counter;

    TokenCounterTest() {
        List<byte[]> pieces = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            pieces.add(b(i));
        }
        pieces.add(b(' ', 0xF0, 0x9F));
        pieces.add(b(0x98, 0x8A));
        pieces.add("你好".getBytes(StandardCharsets.UTF_8));
        pieces.add("Hello".getBytes(StandardCharsets.UTF_8));
        pieces.add(new byte[0]); // a control token
        counter = new TokenCounter(new Vocabulary(pieces, true, java.util.Map.of(), true));
    }

    @Test
    void aPieceThatIsOneTokenCountsOne() {
        assertThat(counter.tokensIn("Hello")).isEqualTo(1);
        assertThat(counter.tokensIn("你好")).isEqualTo(1);
        assertThat(counter.tokensIn("a")).isEqualTo(1);
    }

    @Test
    void anEmptyPieceIsOneTokenThatPrintsNothing() {
        assertThat(counter.tokensIn("")).isEqualTo(1);
    }

    @Test
    void aCharacterSplitAcrossTokensCountsItsTokens() {
        // " \xF0\x9F" + "\x98\x8A": the first token ends inside the emoji, so llama.cpp sends both as one piece
        assertThat(counter.tokensIn(" 😊")).isEqualTo(2);
        // without a two-byte token for the start, the fewest tokens split only inside the character: F0|9F|98 8A
        assertThat(counter.tokensIn("😊")).isEqualTo(3);
    }

    @Test
    void boundariesBetweenWholeCharactersAreNeverAssumed() {
        // "ab" is no token; a withheld token always ends inside a character, so this must be one unknown token
        assertThat(counter.tokensIn("ab")).isEqualTo(1);
    }
}
