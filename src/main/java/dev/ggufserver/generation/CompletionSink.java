package dev.ggufserver.generation;

import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.output.MessageDelta;
import java.io.IOException;

/**
 * Where one completion goes: SSE frames as they come, or one JSON object at the end. Both see the same calls, in
 * this order: {@link #keepAlive()} any number of times while waiting, {@link #begin()} once the prompt has a slot
 * and fits its context, {@link #delta} for each piece, {@link #finish} once. {@link #clientGone()} may be asked at
 * any time, from any thread.
 *
 * <p>An {@link IOException} means the client is gone: generation stops and frees its slot.
 */
public interface CompletionSink {
    /** Called while the request waits (for a slot or the first token) and nothing was sent for a while. */
    void keepAlive() throws IOException;

    /** A cheap check, asked every piece and while waiting: has the client closed the connection? */
    boolean clientGone();

    void begin() throws IOException;

    /** What one engine step added to the answer; never empty. */
    void delta(MessageDelta delta) throws IOException;

    void finish(FinishReason reason, Usage usage, Timings timings) throws IOException;
}
