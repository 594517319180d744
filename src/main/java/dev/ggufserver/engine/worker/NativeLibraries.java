package dev.ggufserver.engine.worker;

import dev.ggufserver.engine.NativeLibrary;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which native library engine processes load, shared by every model's engine of one server: the libraries in the
 * order of preference, each tried until one fails in an engine process, then never again in this run, down to the
 * bundled library. A library given with {@code --native-lib} is the only choice: its failure is the engine's.
 */
public final class NativeLibraries {
    private static final Logger log = LoggerFactory.getLogger(NativeLibraries.class);

    private final List<NativeLibrary> preferred;
    private final boolean forced;
    private final Set<NativeLibrary> failed = ConcurrentHashMap.newKeySet();

    private NativeLibraries(List<NativeLibrary> preferred, boolean forced) {
        this.preferred = List.copyOf(preferred);
        this.forced = forced;
    }

    /** Only the binding's bundled library, described as {@code bundled}. */
    public static NativeLibraries bundledOnly(NativeLibrary bundled) {
        return new NativeLibraries(List.of(bundled), false);
    }

    /** The binding's bundled library, for callers that know nothing of where it lies. */
    static NativeLibraries bundledOnly() {
        return bundledOnly(new NativeLibrary(NativeLibrary.Source.BUNDLED, "inside the binding's jar", "cpu",
                List.of()));
    }

    /** {@code candidates} in order of preference, then {@code bundled} when all of them failed. */
    public static NativeLibraries preferring(List<NativeLibrary> candidates, NativeLibrary bundled) {
        List<NativeLibrary> all = new ArrayList<>(candidates);
        all.add(bundled);
        return new NativeLibraries(all, false);
    }

    /** One library and no other: a failure to load it is the engine's failure to start. */
    public static NativeLibraries only(NativeLibrary library) {
        return new NativeLibraries(List.of(library), true);
    }

    /** The library the next engine process loads: the first that has not failed in this run. */
    public NativeLibrary current() {
        for (NativeLibrary library : preferred) {
            if (!failed.contains(library)) {
                return library;
            }
        }
        return preferred.get(preferred.size() - 1); // the last resort is tried again rather than nothing
    }

    /**
     * An engine process could not start with {@code library}: it is not used again in this run.
     *
     * @return whether another library is left to try (never after the bundled one, or a --native-lib)
     */
    public boolean failed(NativeLibrary library, String reason) {
        if (forced || library.bundled() || !preferred.contains(library)) {
            return false;
        }
        if (failed.add(library)) {
            log.warn("The native library {} failed in the engine process ({}); not using it again in this run, "
                    + "falling back to the {}", library.location(), reason, current().describe());
        }
        return true;
    }
}
