package dev.ggufserver.engine.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A model is loaded on a thread that has ended before the engine is used: an OpenMP team left on a live loading
 * thread (AMX weight conversion does that) makes libgomp stop spinning at the decode loop's barriers, and decode
 * slows by a third (docs/PERFORMANCE.md, issue 16).
 */
class ModelLoadThreadTest {
    @Test
    void theLoadRunsOnAnotherThreadThatHasEndedWhenItReturns() {
        AtomicReference<Thread> loader = new AtomicReference<>();
        String model = LlamaEngine.onThreadThatEnds(() -> {
            loader.set(Thread.currentThread());
            return "model";
        });
        assertThat(model).isEqualTo("model");
        assertThat(loader.get()).isNotSameAs(Thread.currentThread());
        assertThat(loader.get().isAlive()).isFalse();
    }

    @Test
    void aFailedLoadFailsTheCallerWithTheSameException() {
        IllegalStateException failure = new IllegalStateException("llama.cpp could not load it");
        assertThatThrownBy(() -> LlamaEngine.onThreadThatEnds(() -> {
            throw failure;
        })).isSameAs(failure);
        UnsatisfiedLinkError link = new UnsatisfiedLinkError("no jllama");
        assertThatThrownBy(() -> LlamaEngine.onThreadThatEnds(() -> {
            throw link;
        })).isSameAs(link);
    }

    @Test
    void anInterruptDuringTheLoadWaitsForItAndIsKept() {
        Thread.currentThread().interrupt();
        try {
            assertThat(LlamaEngine.onThreadThatEnds(() -> "loaded")).isEqualTo("loaded");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
