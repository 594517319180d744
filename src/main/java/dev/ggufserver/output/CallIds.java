package dev.ggufserver.output;

import java.security.SecureRandom;

/** Tool call ids as OpenAI makes them: {@code call_} and 24 random base-62 characters (unique in practice). */
public final class CallIds {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private CallIds() {
    }

    public static String next() {
        StringBuilder id = new StringBuilder("call_");
        for (int i = 0; i < 24; i++) {
            id.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        }
        return id.toString();
    }
}
