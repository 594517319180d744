package dev.ggufserver.engine.worker;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ggufserver.engine.Embedding;
import dev.ggufserver.engine.EmbeddingInput;
import dev.ggufserver.engine.FinishReason;
import dev.ggufserver.engine.GenerationRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The private channel between the server and its engine worker: length-prefixed binary frames over a Unix domain
 * socket (see docs/ARCHITECTURE.md, "Process model"). Each frame is {@code int length, byte type, body}; strings
 * are {@code int length + UTF-8}; every request carries a {@code long id} that its answers repeat.
 *
 * <pre>
 * server → worker                         worker → server
 * GENERATE id request                      HELLO version                (on connect, before loading)
 *                                          NATIVE_FAILED message        (the native library did not load; it exits)
 * EMBED id inputs                          READY vocabulary addsBos context parallel | LOAD_FAILED message
 * CANCEL id
 * PING id                                  STARTED id promptTokens      (the prompt fits; sent with what follows)
 * SHUTDOWN                                 PIECE id text tokens         (per piece, in order)
 * TEST_HOOK what  (test builds only)       DONE id reason tokens        (ends a GENERATE)
 *                                          TOO_LONG id promptTokens context (ends a GENERATE: nothing generated)
 *                                          FAILED id message            (ends a GENERATE or an EMBED)
 *                                          EMBEDDED id count dimensions (floats tokens)×count  (ends an EMBED)
 *                                          INPUT_TOO_LONG id index tokens limit  (ends an EMBED: nothing embedded)
 *                                          PONG id
 * </pre>
 *
 * <p>A GENERATE is answered without a separate round trip for counting: the worker tokenizes the prompt once,
 * checks it against the context, and says STARTED or TOO_LONG (docs/PERFORMANCE.md, per-request overhead).
 */
final class WorkerProtocol {
    /** Bumped on any incompatible change; the server refuses a worker that says another version. */
    static final int VERSION = 6;
    private static final ObjectMapper REQUESTS = new ObjectMapper();
    static final int MAX_FRAME_BYTES = 256 * 1024 * 1024;

    static final byte GENERATE = 1;
    static final byte CANCEL = 2;
    static final byte EMBED = 3;
    static final byte PING = 4;
    static final byte SHUTDOWN = 5;
    static final byte TEST_HOOK = 9;

    static final byte HELLO = 64;
    static final byte READY = 65;
    static final byte LOAD_FAILED = 66;
    static final byte PIECE = 67;
    static final byte DONE = 68;
    static final byte FAILED = 69;
    static final byte PONG = 71;
    static final byte STARTED = 72;
    static final byte TOO_LONG = 73;
    static final byte EMBEDDED = 74;
    static final byte INPUT_TOO_LONG = 75;
    static final byte NATIVE_FAILED = 76;

    private WorkerProtocol() {
    }

    /** Writes whole frames; safe to share between threads. */
    static final class FrameWriter {
        private final DataOutputStream out;

        FrameWriter(OutputStream out) {
            this.out = new DataOutputStream(new java.io.BufferedOutputStream(out, 1 << 16));
        }

        interface Body {
            void write(DataOutputStream body) throws IOException;
        }

        /** Writes a frame and sends it, with any frames buffered before it. */
        void send(byte type, Body body) throws IOException {
            write(type, body, true);
        }

        /**
         * Writes a frame without sending it yet: the next {@link #send} takes it along, in the same write to the
         * socket (one wake-up of the other side instead of two).
         */
        void buffer(byte type, Body body) throws IOException {
            write(type, body, false);
        }

        private void write(byte type, Body body, boolean flush) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream data = new DataOutputStream(bytes);
            data.writeByte(type);
            body.write(data);
            data.flush();
            synchronized (this) {
                out.writeInt(bytes.size());
                bytes.writeTo(out);
                if (flush) {
                    out.flush();
                }
            }
        }
    }

    /** One received frame: its type and a stream over its body. */
    record Frame(byte type, DataInputStream body) {
    }

    static Frame read(DataInputStream in) throws IOException {
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            return null; // the other side closed the channel
        }
        if (length < 1 || length > MAX_FRAME_BYTES) {
            throw new IOException("bad frame length " + length);
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        DataInputStream body = new DataInputStream(new ByteArrayInputStream(bytes));
        return new Frame(body.readByte(), body);
    }

    static DataInputStream input(InputStream in) {
        return new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
    }

    /**
     * Streams over a connected channel that read and write it directly. On JDK 17 the streams of
     * {@code Channels.newInputStream/newOutputStream} hold the channel's blocking lock while they wait, so a reader
     * blocked on one thread would stop every writer on another: the two sides would deadlock.
     */
    static InputStream inputOf(SocketChannel channel) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : channel.read(ByteBuffer.wrap(b, off, len));
            }
        };
    }

    static OutputStream outputOf(SocketChannel channel) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[]{(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }
        };
    }

    static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_FRAME_BYTES) {
            throw new IOException("bad string length " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * A request travels as JSON (Jackson, from the record itself), so a new request field is a record component,
     * not a protocol edit; the cost is microseconds against a request's milliseconds. Pieces, the hot path, stay
     * binary.
     */
    static void writeRequest(DataOutputStream out, GenerationRequest r) throws IOException {
        byte[] json = REQUESTS.writeValueAsBytes(r);
        out.writeInt(json.length);
        out.write(json);
    }

    static GenerationRequest readRequest(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_FRAME_BYTES) {
            throw new IOException("bad request length " + n);
        }
        byte[] json = new byte[n];
        in.readFully(json);
        try {
            return REQUESTS.readValue(json, GenerationRequest.class);
        } catch (JacksonException | IllegalArgumentException e) {
            throw new IOException("bad request: " + e.getMessage(), e);
        }
    }

    static void writeInputs(DataOutputStream out, java.util.List<EmbeddingInput> inputs) throws IOException {
        byte[] json = REQUESTS.writeValueAsBytes(inputs);
        out.writeInt(json.length);
        out.write(json);
    }

    static java.util.List<EmbeddingInput> readInputs(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_FRAME_BYTES) {
            throw new IOException("bad inputs length " + n);
        }
        byte[] json = new byte[n];
        in.readFully(json);
        try {
            return REQUESTS.readValue(json, INPUTS);
        } catch (JacksonException | IllegalArgumentException e) {
            throw new IOException("bad embedding inputs: " + e.getMessage(), e);
        }
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<java.util.List<EmbeddingInput>> INPUTS =
            new com.fasterxml.jackson.core.type.TypeReference<>() { };

    /** Vectors travel as raw floats: a batch of 2,048 inputs of 1,024 dimensions is 8 MB, not 30 of JSON. */
    static void writeEmbeddings(DataOutputStream out, java.util.List<Embedding> embeddings) throws IOException {
        int dimensions = embeddings.isEmpty() ? 0 : embeddings.get(0).vector().length;
        out.writeInt(embeddings.size());
        out.writeInt(dimensions);
        for (Embedding e : embeddings) {
            if (e.vector().length != dimensions) {
                throw new IOException("the model gave vectors of " + e.vector().length + " and " + dimensions
                        + " dimensions");
            }
            ByteBuffer floats = ByteBuffer.allocate(dimensions * Float.BYTES);
            floats.asFloatBuffer().put(e.vector());
            out.write(floats.array());
            out.writeInt(e.tokens());
        }
    }

    static java.util.List<Embedding> readEmbeddings(DataInputStream in) throws IOException {
        int count = in.readInt();
        int dimensions = in.readInt();
        if (count < 0 || dimensions < 0 || dimensions > MAX_FRAME_BYTES / Float.BYTES
                || (long) count * (dimensions * Float.BYTES + Integer.BYTES) > MAX_FRAME_BYTES) {
            throw new IOException("bad embeddings of " + count + " × " + dimensions);
        }
        java.util.List<Embedding> embeddings = new java.util.ArrayList<>(count);
        byte[] bytes = new byte[dimensions * Float.BYTES];
        for (int i = 0; i < count; i++) {
            in.readFully(bytes);
            float[] vector = new float[dimensions];
            ByteBuffer.wrap(bytes).asFloatBuffer().get(vector);
            embeddings.add(new Embedding(vector, in.readInt()));
        }
        return embeddings;
    }

    static byte reasonCode(FinishReason reason) {
        return (byte) reason.ordinal();
    }

    static FinishReason reason(byte code) throws IOException {
        FinishReason[] all = FinishReason.values();
        if (code < 0 || code >= all.length) {
            throw new IOException("bad finish reason " + code);
        }
        return all[code];
    }
}
