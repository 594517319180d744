package dev.ggufserver.support;

import dev.ggufserver.engine.Engine;
import dev.ggufserver.engine.EngineException;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationListener;
import dev.ggufserver.engine.GenerationRequest;
import dev.ggufserver.engine.GenerationResult;
import dev.ggufserver.engine.ModelInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted engine for fast wire-format tests (beside, not instead of, the real engine): it replays pieces of one
 * token each, counts one token per prompt character, and can hold before its first piece or fail mid-way.
 */
public final class FakeEngine implements Engine {
    private final ModelInfo info;
    private volatile List<String> pieces = List.of();
    private volatile boolean endsWithEos = true;
    private volatile CountDownLatch hold;
    private volatile int holdBeforePiece;
    private volatile int failAfterPieces = -1;
    public final AtomicInteger cancellations = new AtomicInteger();
    public final AtomicInteger generations = new AtomicInteger();
    /** Released once each time a generation starts, so tests can wait for one to be running. */
    public final java.util.concurrent.Semaphore started = new java.util.concurrent.Semaphore(0);
    public final List<GenerationRequest> requests = java.util.Collections.synchronizedList(new ArrayList<>());

    public FakeEngine(int contextPerRequest, int parallel) {
        this("fake-model", contextPerRequest, parallel);
    }

    public FakeEngine(String id, int contextPerRequest, int parallel) {
        this.info = new ModelInfo(id, contextPerRequest, parallel, "fake", 1234, "F32", 5678, 4096, true, null);
    }

    /** The pieces every generation replays; EOS (an empty piece) follows unless {@link #withoutEos()}. */
    public FakeEngine script(String... pieces) {
        this.pieces = List.of(pieces);
        return this;
    }

    public FakeEngine withoutEos() {
        this.endsWithEos = false;
        return this;
    }

    /** Waits for the latch before the first piece, as a real engine does while it processes the prompt. */
    public FakeEngine holdBeforeFirstPiece(CountDownLatch latch) {
        return holdBeforePiece(0, latch);
    }

    /** Waits for the latch before the piece at {@code index} (0 is the first). */
    public FakeEngine holdBeforePiece(int index, CountDownLatch latch) {
        this.holdBeforePiece = index;
        this.hold = latch;
        return this;
    }

    public FakeEngine failAfter(int pieces) {
        this.failAfterPieces = pieces;
        return this;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public GenerationResult generate(GenerationRequest request, GenerationListener listener) throws EngineException {
        int promptTokens = request.prompt().length(); // one token per character
        int maxTokens = request.budget(promptTokens, info.contextPerRequest());
        generations.incrementAndGet();
        requests.add(request);
        started.release();
        listener.onStart(promptTokens);
        List<String> script = new ArrayList<>(pieces);
        if (endsWithEos) {
            script.add("");
        }
        int produced = 0;
        for (String piece : script) {
            if (produced == holdBeforePiece) {
                awaitHold();
            }
            if (produced == failAfterPieces) {
                throw new EngineException("the fake engine failed on purpose");
            }
            if (produced == maxTokens) {
                return new GenerationResult(FinishReason.LENGTH, produced);
            }
            produced++;
            if (!listener.onPiece(piece, 1)) {
                cancellations.incrementAndGet();
                return new GenerationResult(FinishReason.CANCELLED, produced);
            }
        }
        return new GenerationResult(endsWithEos ? FinishReason.STOP : FinishReason.LENGTH, produced);
    }

    private void awaitHold() throws EngineException {
        CountDownLatch latch = hold;
        if (latch == null) {
            return;
        }
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new EngineException("fake engine held too long");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted");
        }
    }

    @Override
    public void close() {
    }
}
