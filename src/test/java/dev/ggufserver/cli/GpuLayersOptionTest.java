package dev.ggufserver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ggufserver.engine.NativeLibrary;
import dev.ggufserver.testmodel.TinyModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --gpu-layers N|auto}: what reaches the configuration, and how auto resolves for each kind of library. */
class GpuLayersOptionTest {
    @TempDir
    Path dir;

    private ServeCommand command(String... more) throws Exception {
        Path model = TinyModel.write(dir, "tiny-r1.gguf", TinyModel.officialTemplate());
        ServeCommand command = new ServeCommand();
        String[] args = new String[more.length + 4];
        args[0] = "--model";
        args[1] = model.toString();
        args[2] = "--models-dir";
        args[3] = dir.toString();
        System.arraycopy(more, 0, args, 4, more.length);
        new CommandLine(command).parseArgs(args);
        return command;
    }

    private int gpuLayers(String... more) throws Exception {
        ServeCommand command = command(more);
        assertThat(command.call()).isZero();
        return command.config.nativeLibrary().gpuLayers();
    }

    @Test
    void autoIsTheDefaultAndANumberIsKept() throws Exception {
        assertThat(gpuLayers()).isEqualTo(NativeLibrary.GPU_LAYERS_AUTO);
        assertThat(gpuLayers("--gpu-layers", "AUTO")).isEqualTo(NativeLibrary.GPU_LAYERS_AUTO);
        assertThat(gpuLayers("--gpu-layers", "0")).isZero();
        assertThat(gpuLayers("--gpu-layers", "20")).isEqualTo(20);
    }

    @Test
    void anythingElseIsAUsageError() throws Exception {
        for (String bad : List.of("all", "-1", "1000", "2.5", "")) {
            ServeCommand command = command("--gpu-layers", bad);
            assertThatThrownBy(command::call).as(bad)
                    .hasMessageContaining("--gpu-layers must be auto or a number of layers from 0 to 999");
        }
    }

    @Test
    void autoOffloadsEverythingOnAGpuLibraryOrOneOfUnknownKindAndLeavesACpuLibraryToLlamaCpp() {
        List<String> none = List.of();
        assertThat(new NativeLibrary(NativeLibrary.Source.CACHE, "/c", "cuda", none).gpuLayers(-1)).isEqualTo(999);
        assertThat(new NativeLibrary(NativeLibrary.Source.CACHE, "/v", "vulkan", none).gpuLayers(-1)).isEqualTo(999);
        assertThat(new NativeLibrary(NativeLibrary.Source.OPTION, "/m", "metal", none).gpuLayers(-1)).isEqualTo(999);
        assertThat(new NativeLibrary(NativeLibrary.Source.OPTION, "/x", "unknown", none).gpuLayers(-1)).isEqualTo(999);
        assertThat(new NativeLibrary(NativeLibrary.Source.CACHE, "/n", "cpu", none).gpuLayers(-1))
                .isEqualTo(NativeLibrary.LLAMA_CPP_DEFAULT);
        assertThat(new NativeLibrary(NativeLibrary.Source.BUNDLED, "jar", "cpu", none).gpuLayers(-1))
                .isEqualTo(NativeLibrary.LLAMA_CPP_DEFAULT);
        assertThat(new NativeLibrary(NativeLibrary.Source.CACHE, "/c", "cuda", none).gpuLayers(12)).isEqualTo(12);
        assertThat(new NativeLibrary(NativeLibrary.Source.BUNDLED, "jar", "cpu", none).gpuLayers(12)).isEqualTo(12);
    }
}
