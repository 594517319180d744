package dev.ggufserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** --max-loaded-models auto: how many models fit in the memory available at start. */
class MemoryBudgetTest {
    private static final long GB = 1L << 30;

    @Test
    void allModelsThatFitTogetherLoadWithoutALimit() {
        // 1.1 GB and 36 MB models need about 1.7 and 0.4 GB: 2.1 GB of the 80 % of 24 GB
        assertThat(MemoryBudget.maxLoaded(List.of(1_100_000_000L, 36_000_000L), 24 * GB)).isZero();
    }

    @Test
    void otherwiseAsManyAsFitWhenTheLargestAreLoadedAndAtLeastOne() {
        long seven = 4_700_000_000L; // a 7B Q4_K_M: needs about 6 GB
        List<Long> sizes = List.of(seven, seven, seven, 1_100_000_000L);
        assertThat(MemoryBudget.maxLoaded(sizes, 16 * GB)).isEqualTo(2); // 12.8 GB usable
        assertThat(MemoryBudget.maxLoaded(sizes, 22 * GB)).isEqualTo(3); // 17.6 GB usable
        assertThat(MemoryBudget.maxLoaded(sizes, 24 * GB)).isZero(); // all four need 18.5 GB of 19.2
        assertThat(MemoryBudget.maxLoaded(sizes, 4 * GB)).isEqualTo(1); // none fits: one anyway
        assertThat(MemoryBudget.needs(seven)).isGreaterThan(seven);
    }

    @Test
    void thisMachineReportsWhatItHasAvailable() {
        assertThat(MemoryBudget.available()).isPresent();
        assertThat(MemoryBudget.available().getAsLong()).isPositive();
    }
}
