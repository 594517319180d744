package dev.ggufserver.models;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the header of a GGUF v3 file (key/values and tensor directory) without trusting any number in it: every
 * count and length is checked against the bytes that remain in the file before anything is allocated, so a
 * truncated or hostile file gives a {@link GgufFormatException}, never an OutOfMemoryError or a native crash.
 */
public final class GgufReader {
    static final int MAGIC = 0x46554747; // "GGUF" little-endian
    private static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_ARRAY_NESTING = 4;

    private final Path path;
    private final FileChannel channel;
    private final long fileSize;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private long bufferStart; // file position of buffer index 0

    private GgufReader(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.channel = channel;
        this.fileSize = channel.size();
        buffer.limit(0);
    }

    public static GgufFile read(Path path) throws GgufFormatException, IOException {
        if (Files.isDirectory(path)) {
            throw new GgufFormatException(path, "is a directory, not a GGUF file");
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return new GgufReader(path, channel).readFile();
        } catch (EOFException e) {
            throw new GgufFormatException(path, "file ends inside its header (truncated download?)");
        }
    }

    private GgufFile readFile() throws IOException, GgufFormatException {
        if (fileSize < 24) {
            throw fail("file is too small to be a GGUF model (" + fileSize + " bytes)");
        }
        int magic = readInt();
        if (magic != MAGIC) {
            throw fail("not a GGUF file (wrong magic bytes)");
        }
        int version = readInt();
        if (version != 3) {
            throw fail("GGUF version " + Integer.toUnsignedString(version) + " is not supported (only version 3)");
        }
        long tensorCount = readLong();
        long kvCount = readLong();
        // each key/value needs at least 8 (key length) + 4 (type) + 1 bytes, each tensor info at least 8+4+8+4+8
        checkCount(kvCount, 13, "metadata key/value count");
        checkCount(tensorCount, 32, "tensor count");

        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = readString("metadata key");
            int type = readInt();
            metadata.put(key, readValue(type, key, 0));
        }
        List<GgufFile.TensorInfo> tensors = new ArrayList<>((int) tensorCount);
        for (long i = 0; i < tensorCount; i++) {
            String name = readString("tensor name");
            int nDims = readInt();
            if (nDims < 1 || nDims > 4) {
                throw fail("tensor '" + name + "' has " + Integer.toUnsignedString(nDims) + " dimensions");
            }
            long[] dims = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                dims[d] = readLong();
                if (dims[d] <= 0 || dims[d] > fileSize * 8) {
                    throw fail("tensor '" + name + "' has an impossible dimension " + Long.toUnsignedString(dims[d]));
                }
            }
            int type = readInt();
            long offset = readLong();
            tensors.add(new GgufFile.TensorInfo(name, dims, type, offset));
        }
        long alignment = metadata.get("general.alignment") instanceof Long a ? a : DEFAULT_ALIGNMENT;
        if (alignment <= 0 || alignment > 1 << 20 || Long.bitCount(alignment) != 1) {
            throw fail("general.alignment " + alignment + " is not a power of two");
        }
        long position = position();
        long dataOffset = (position + alignment - 1) / alignment * alignment;
        for (GgufFile.TensorInfo t : tensors) {
            if (t.offset() < 0 || dataOffset + t.offset() > fileSize) {
                throw fail("tensor '" + t.name() + "' starts past the end of the file (truncated download?)");
            }
        }
        return new GgufFile(path, fileSize, version, Collections.unmodifiableMap(metadata),
                List.copyOf(tensors), dataOffset);
    }

    private Object readValue(int type, String key, int depth) throws IOException, GgufFormatException {
        return switch (type) {
            case 0 -> (long) Byte.toUnsignedInt(readByte());
            case 1 -> (long) readByte();
            case 2 -> (long) Short.toUnsignedInt(readShort());
            case 3 -> (long) readShort();
            case 4 -> Integer.toUnsignedLong(readInt());
            case 5 -> (long) readInt();
            case 6 -> (double) Float.intBitsToFloat(readInt());
            case 7 -> readByte() != 0;
            case 8 -> readString("value of " + key);
            case 9 -> readArray(key, depth);
            case 10, 11 -> readLong();
            case 12 -> Double.longBitsToDouble(readLong());
            default -> throw fail("metadata '" + key + "' has unknown value type " + Integer.toUnsignedString(type));
        };
    }

    private List<Object> readArray(String key, int depth) throws IOException, GgufFormatException {
        if (depth >= MAX_ARRAY_NESTING) {
            throw fail("metadata '" + key + "' nests arrays too deeply");
        }
        int elementType = readInt();
        long count = readLong();
        checkCount(count, minimumSize(elementType, key), "length of array '" + key + "'");
        List<Object> values = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            values.add(readValue(elementType, key, depth + 1));
        }
        return Collections.unmodifiableList(values);
    }

    private int minimumSize(int type, String key) throws GgufFormatException {
        return switch (type) {
            case 0, 1, 7 -> 1;
            case 2, 3 -> 2;
            case 4, 5, 6 -> 4;
            case 8, 10, 11, 12 -> 8;
            case 9 -> 12;
            default -> throw fail("metadata '" + key + "' has unknown array element type "
                    + Integer.toUnsignedString(type));
        };
    }

    private void checkCount(long count, int minimumBytesEach, String what) throws GgufFormatException {
        long remaining = fileSize - position();
        if (count < 0 || count > remaining / minimumBytesEach || count > Integer.MAX_VALUE - 8) {
            throw fail(what + " " + Long.toUnsignedString(count) + " cannot fit in the file");
        }
    }

    private String readString(String what) throws IOException, GgufFormatException {
        long length = readLong();
        if (length < 0 || length > fileSize - position() || length > Integer.MAX_VALUE - 8) {
            throw fail(what + " claims " + Long.toUnsignedString(length) + " bytes, more than the file holds");
        }
        byte[] bytes = new byte[(int) length];
        readFully(bytes);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            // llama.cpp vocabularies may hold raw bytes; keep them readable instead of rejecting the file
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    private GgufFormatException fail(String problem) {
        return new GgufFormatException(path, problem);
    }

    // --- buffered little-endian primitives over the channel

    private long position() {
        return bufferStart + buffer.position();
    }

    private void ensure(int n) throws IOException {
        if (buffer.remaining() >= n) {
            return;
        }
        bufferStart = position(); // the first unread byte moves to index 0
        buffer.compact();
        while (buffer.position() < n) {
            if (channel.read(buffer, bufferStart + buffer.position()) < 0) {
                throw new EOFException();
            }
        }
        buffer.flip();
    }

    private byte readByte() throws IOException {
        ensure(1);
        return buffer.get();
    }

    private short readShort() throws IOException {
        ensure(2);
        return buffer.getShort();
    }

    private int readInt() throws IOException {
        ensure(4);
        return buffer.getInt();
    }

    private long readLong() throws IOException {
        ensure(8);
        return buffer.getLong();
    }

    private void readFully(byte[] target) throws IOException {
        int done = 0;
        while (done < target.length) {
            ensure(1);
            int n = Math.min(buffer.remaining(), target.length - done);
            buffer.get(target, done, n);
            done += n;
        }
    }
}
