/**
 * Native libraries built for this machine: where they are cached and how one is chosen for the engine process
 * ({@link dev.ggufserver.nativelib.LibrarySelection}), what the CPU offers ({@link dev.ggufserver.nativelib.CpuFeatures}),
 * and {@code gguf-server native build} ({@link dev.ggufserver.nativelib.NativeBuild}). Nothing here loads a native
 * library: a library is tried in a child process of its own ({@link dev.ggufserver.nativelib.LibraryCheck}).
 */
package dev.ggufserver.nativelib;
