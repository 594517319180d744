package dev.ggufserver.models;

import dev.ggufserver.testmodel.TinyModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Fuzzes the reader and validator with mutated and truncated copies of a valid model: whatever the bytes, the
 * answer is a model or a GgufFormatException, never another exception, an OutOfMemoryError or a hang. Bounded
 * (300 tries) so it runs in CI.
 */
class GgufReaderMutationTest {
    private static final byte[] GOOD = TinyModel.build(TinyModel.officialTemplate());
    /** Mutations aim at the header, where every count and length lives. */
    private static final int HEADER = headerLength();

    private static int headerLength() {
        try {
            Path file = Files.createTempFile("fuzz-base", ".gguf");
            Files.write(file, GOOD);
            int length = (int) GgufReader.read(file).dataOffset();
            Files.delete(file);
            return length;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    record Mutation(int[] positions, byte[] values, int truncateTo) {
        byte[] apply() {
            byte[] bytes = Arrays.copyOf(GOOD, truncateTo);
            for (int i = 0; i < positions.length; i++) {
                if (positions[i] < bytes.length) {
                    bytes[positions[i]] = values[i];
                }
            }
            return bytes;
        }
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        Arbitrary<int[]> positions = Arbitraries.integers().between(0, HEADER - 1).array(int[].class).ofMinSize(1)
                .ofMaxSize(6);
        Arbitrary<byte[]> values = Arbitraries.bytes().array(byte[].class).ofSize(6);
        Arbitrary<Integer> length = Arbitraries.oneOf(Arbitraries.just(GOOD.length),
                Arbitraries.integers().between(0, GOOD.length));
        return net.jqwik.api.Combinators.combine(positions, values, length).as(Mutation::new);
    }

    @Property(tries = 300)
    void anyBytesAreAModelOrAClearRejection(@ForAll("mutations") Mutation mutation) throws IOException {
        Path file = Files.createTempFile("fuzz", ".gguf");
        try {
            Files.write(file, mutation.apply());
            try {
                ModelValidator.validate(GgufReader.read(file));
            } catch (GgufFormatException expected) {
                if (!expected.getMessage().startsWith(file.toString())) {
                    throw new AssertionError("the message must name the file: " + expected.getMessage());
                }
            }
        } finally {
            Files.delete(file);
        }
    }
}
