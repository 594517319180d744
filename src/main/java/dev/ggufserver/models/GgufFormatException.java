package dev.ggufserver.models;

import java.nio.file.Path;

/** A file that is not a GGUF model we can load; the message names the file and what is wrong. */
public class GgufFormatException extends Exception {
    public GgufFormatException(Path path, String problem) {
        super(path + ": " + problem);
    }
}
