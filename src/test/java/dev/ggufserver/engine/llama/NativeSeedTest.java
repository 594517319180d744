package dev.ggufserver.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NativeSeedTest {
    @Test
    void neverPassesLlamaCppsRandomSeedValue() {
        assertThat(LlamaEngine.nativeSeed(-1L)).isNotEqualTo(-1);
        assertThat(LlamaEngine.nativeSeed(0xFFFFFFFFL)).isNotEqualTo(-1);
        assertThat(LlamaEngine.nativeSeed(42)).isEqualTo(42);
    }

    @Test
    void distinctSmallSeedsStayDistinct() {
        assertThat(LlamaEngine.nativeSeed(1)).isNotEqualTo(LlamaEngine.nativeSeed(2));
        assertThat(LlamaEngine.nativeSeed(1L << 40)).isNotEqualTo(LlamaEngine.nativeSeed(0));
    }
}
