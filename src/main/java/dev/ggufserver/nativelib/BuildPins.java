package dev.ggufserver.nativelib;

/**
 * The sources a native library is built from: the binding's own sources at the version on our classpath, and the
 * exact llama.cpp and JSON library its CMake build fetches. Tests give their own (tiny git repositories).
 */
public record BuildPins(Source binding, Source llamaCpp, Source json) {
    /** The binding version the pinned sources are (the pom's de.kherud:llama; a test holds them equal). */
    public static final String BINDING_VERSION = "4.2.0";

    /**
     * One source tree.
     *
     * @param name   what the user knows it as
     * @param tag    the tag fetched
     * @param commit the commit the tag must be, checked on every copy (fetched or given)
     * @param url    where it is fetched from
     * @param option the command-line option that gives a local copy instead
     */
    public record Source(String name, String tag, String commit, String url, String option) {
        String shortCommit() {
            return commit.substring(0, Math.min(8, commit.length()));
        }
    }

    /** de.kherud:llama 4.2.0: its tag, and what its CMakeLists.txt fetches (llama.cpp b4916, nlohmann/json 3.11.3). */
    public static final BuildPins PINNED = new BuildPins(
            new Source("java-llama.cpp", "v4.2.0", "330ccc1a6c20a8841857fba95fab4d74e3d24ab9",
                    "https://github.com/kherud/java-llama.cpp.git", "--binding-source"),
            new Source("llama.cpp", "b4916", "c6af2161b200284d55633cf184a07406ca89908e",
                    "https://github.com/ggml-org/llama.cpp.git", "--llama-cpp-source"),
            new Source("nlohmann/json", "v3.11.3", "9cca280a4d0ccf0c08f47a99aa71d1b0e52f8d03",
                    "https://github.com/nlohmann/json.git", "--json-source"));
}
