package dev.ggufserver.cli;

import dev.ggufserver.nativelib.NativeCache;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where built native libraries are kept: the same option for {@code native build}, {@code native status} and the server. */
final class NativeOptions {
    static final String NATIVE_LIB_DESCRIPTION = "The native library to load, and no other: a directory holding "
            + "libjllama.so (jllama.dll, libjllama.dylib) or the file itself; 'bundled' for the one in the jar "
            + "(default: the best verified library `native build` made for this machine, else the bundled one).";

    @Option(names = "--native-dir", paramLabel = "DIR", defaultValue = "${env:GGUF_SERVER_NATIVE_DIR}",
            description = "Where `native build` puts the libraries it builds and the server looks for them "
                    + "(default: $XDG_CACHE_HOME/gguf-server/native, i.e. ~/.cache/gguf-server/native).")
    Path nativeDir;

    /** The directory to use: the option, or the per-user default. */
    Path directory() {
        return nativeDir != null ? nativeDir : NativeCache.defaultRoot(System.getenv());
    }
}
