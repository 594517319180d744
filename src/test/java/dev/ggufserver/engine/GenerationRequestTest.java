package dev.ggufserver.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The budget every engine applies before generating (end to end: WireFormatTest, RealEngineLimitsTest). */
class GenerationRequestTest {
    private static GenerationRequest asking(int maxTokens) {
        return new GenerationRequest("p", maxTokens, Sampling.greedy());
    }

    @Test
    void aLimitBeyondTheContextIsClampedToWhatThePromptLeaves() throws Exception {
        assertThat(asking(1000).budget(10, 100)).isEqualTo(90);
        assertThat(asking(GenerationRequest.UNTIL_CONTEXT_IS_FULL).budget(10, 100)).isEqualTo(90);
        assertThat(asking(91).budget(10, 100)).isEqualTo(90);
    }

    @Test
    void aLimitWithinTheContextIsKept() throws Exception {
        assertThat(asking(7).budget(10, 100)).isEqualTo(7);
        assertThat(asking(90).budget(10, 100)).isEqualTo(90);
        assertThat(asking(1).budget(10, 100)).isEqualTo(1);
    }

    @Test
    void aPromptOneTokenShortOfTheContextLeavesExactlyOne() throws Exception {
        assertThat(asking(GenerationRequest.UNTIL_CONTEXT_IS_FULL).budget(99, 100)).isEqualTo(1);
    }

    @Test
    void aPromptThatFillsTheContextLeavesNoBudget() {
        for (int prompt : new int[]{100, 101}) {
            assertThatThrownBy(() -> asking(5).budget(prompt, 100))
                    .isInstanceOfSatisfying(ContextLengthExceededException.class, e -> {
                        assertThat(e.promptTokens()).isEqualTo(prompt);
                        assertThat(e.contextTokens()).isEqualTo(100);
                    });
        }
    }
}
