package dev.ggufserver.testmodel;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF v3 files for tests: typed key/values, then F32 tensors. Only what our fixtures need, written from the
 * format description (header, key/values, tensor infos, 32-byte aligned data).
 */
public final class GgufWriter {
    private static final int ALIGNMENT = 32;

    /** A value with its GGUF type code; arrays carry their element type. */
    public record Value(int type, Object value, int elementType) {
    }

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    private record Tensor(String name, long[] dims, float[] data) {
    }

    public GgufWriter u32(String key, long v) {
        metadata.put(key, new Value(4, v, -1));
        return this;
    }

    public GgufWriter f32(String key, double v) {
        metadata.put(key, new Value(6, v, -1));
        return this;
    }

    public GgufWriter bool(String key, boolean v) {
        metadata.put(key, new Value(7, v, -1));
        return this;
    }

    public GgufWriter string(String key, String v) {
        metadata.put(key, new Value(8, v, -1));
        return this;
    }

    public GgufWriter strings(String key, List<String> v) {
        metadata.put(key, new Value(9, v, 8));
        return this;
    }

    public GgufWriter i32s(String key, List<Integer> v) {
        metadata.put(key, new Value(9, v, 5));
        return this;
    }

    /** A tensor of F32 values; {@code dims[0]} is the fastest-varying dimension, as in ggml. */
    public GgufWriter tensor(String name, float[] data, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(name + ": " + data.length + " values for dims of " + n);
        }
        tensors.add(new Tensor(name, dims, data));
        return this;
    }

    public void write(Path file) throws IOException {
        Files.write(file, toBytes());
    }

    /** A tensor described without its data, for files whose data is streamed (see {@link ShapedModel}). */
    public record TensorSpec(String name, int ggmlType, long bytes, long... dims) {
    }

    /** The header (magic to the aligned start of the data) for these tensors, laid out one after another. */
    public byte[] header(java.util.List<TensorSpec> specs) {
        Buf header = new Buf();
        header.i32(0x46554747).i32(3).i64(specs.size()).i64(metadata.size());
        metadata.forEach((key, value) -> {
            header.str(key).i32(value.type());
            writeValue(header, value.type(), value.value(), value.elementType());
        });
        long offset = 0;
        for (TensorSpec t : specs) {
            header.str(t.name()).i32(t.dims().length);
            for (long d : t.dims()) {
                header.i64(d);
            }
            header.i32(t.ggmlType()).i64(offset);
            offset = align(offset + t.bytes());
        }
        header.padTo(ALIGNMENT);
        return header.bytes();
    }

    /** Padding after a tensor of {@code bytes} so the next one starts aligned. */
    public static int padding(long bytes) {
        return (int) (align(bytes) - bytes);
    }

    public byte[] toBytes() {
        java.util.List<TensorSpec> specs = new ArrayList<>();
        for (Tensor t : tensors) {
            specs.add(new TensorSpec(t.name(), 0, 4L * t.data().length, t.dims())); // type 0 = F32
        }
        Buf header = new Buf();
        header.raw(header(specs));
        for (Tensor t : tensors) {
            for (float f : t.data()) {
                header.f32(f);
            }
            header.padTo(ALIGNMENT);
        }
        return header.bytes();
    }

    private static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    @SuppressWarnings("unchecked")
    private static void writeValue(Buf out, int type, Object value, int elementType) {
        switch (type) {
            case 4 -> out.i32((int) (long) (Long) value);
            case 5 -> out.i32((Integer) value);
            case 6 -> out.f32((float) (double) (Double) value);
            case 7 -> out.u8((Boolean) value ? 1 : 0);
            case 8 -> out.str((String) value);
            case 9 -> {
                List<Object> list = (List<Object>) value;
                out.i32(elementType).i64(list.size());
                for (Object o : list) {
                    writeValue(out, elementType, o, -1);
                }
            }
            default -> throw new IllegalArgumentException("type " + type);
        }
    }

    /** A growable little-endian byte buffer. */
    static final class Buf {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);

        private void room(int n) {
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n))
                        .order(ByteOrder.LITTLE_ENDIAN);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        Buf u8(int v) {
            room(1);
            buf.put((byte) v);
            return this;
        }

        Buf i32(int v) {
            room(4);
            buf.putInt(v);
            return this;
        }

        Buf i64(long v) {
            room(8);
            buf.putLong(v);
            return this;
        }

        Buf f32(float v) {
            room(4);
            buf.putFloat(v);
            return this;
        }

        Buf raw(byte[] b) {
            room(b.length);
            buf.put(b);
            return this;
        }

        Buf str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return i64(b.length).raw(b);
        }

        Buf padTo(int alignment) {
            while (buf.position() % alignment != 0) {
                u8(0);
            }
            return this;
        }

        byte[] bytes() {
            byte[] out = new byte[buf.position()];
            buf.duplicate().flip().get(out);
            return out;
        }

        void writeTo(OutputStream out) throws IOException {
            out.write(bytes());
        }
    }
}
