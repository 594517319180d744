package dev.ggufserver.nativelib;

import java.util.Locale;

/**
 * An operating system and CPU architecture, named as the binding names the folders of its bundled libraries
 * ({@code de/kherud/llama/Linux/x86_64/}) and as its CMake build takes them ({@code OS_NAME}, {@code OS_ARCH}).
 */
public record Platform(String os, String arch) {
    public static final String LINUX = "Linux";
    public static final String MAC = "Mac";
    public static final String WINDOWS = "Windows";

    /** This JVM's platform. */
    public static Platform current() {
        return of(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    /** The binding's names (its OSInfo) for Java's {@code os.name} and {@code os.arch}. */
    static Platform of(String osName, String osArch) {
        String name = osName.toLowerCase(Locale.ROOT);
        String os = name.startsWith("windows") ? WINDOWS
                : name.startsWith("mac") || name.startsWith("darwin") ? MAC
                : name.startsWith("linux") ? LINUX
                : osName.replaceAll("\\W", "");
        String a = osArch.toLowerCase(Locale.ROOT);
        String arch = switch (a) {
            case "amd64", "x86_64", "em64t", "universal" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            case "x86", "i386", "i486", "i586", "i686" -> "x86";
            default -> a.replaceAll("[^a-z0-9_]", "");
        };
        return new Platform(os, arch);
    }

    /** The folder of this platform's libraries in the cache: {@code Linux-x86_64}. */
    public String key() {
        return os + "-" + arch;
    }

    /** The file the binding loads from {@code de.kherud.llama.lib.path}. */
    public String libraryFileName() {
        return switch (os) {
            case WINDOWS -> "jllama.dll";
            case MAC -> "libjllama.dylib";
            default -> "libjllama.so";
        };
    }

    /** Where the binding's jar holds its library for this platform. */
    public String bundledResource() {
        return "de/kherud/llama/" + os + "/" + arch + "/" + libraryFileName();
    }

    @Override
    public String toString() {
        return os + " " + arch;
    }
}
