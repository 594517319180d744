package dev.ggufserver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** --models-config: per-model settings and models to serve, in YAML; every mistake named. */
class ModelPresetsTest {
    @TempDir
    Path dir;

    private Path file(String yaml) throws Exception {
        return Files.writeString(dir.resolve("models.yaml"), yaml);
    }

    @Test
    void readsEachModelsSettingsInFileOrder() throws Exception {
        Path file = file("""
                # two models and settings for a third
                models:
                  r1:
                    model: hf:bartowski/DeepSeek-R1-Distill-Qwen-1.5B-GGUF/DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf
                    ctx-size: 16384
                    parallel: 2
                  bge:
                    model: models/bge-small-en-v1.5-q8_0.gguf
                  qwen2.5-0.5b-instruct-q4_k_m:
                    ctx-size: 4096
                """);

        assertThat(ModelPresets.read(file)).containsExactly(
                new ModelPresets.Preset("r1", "hf:bartowski/DeepSeek-R1-Distill-Qwen-1.5B-GGUF/"
                        + "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf", 16384, 2),
                new ModelPresets.Preset("bge", "models/bge-small-en-v1.5-q8_0.gguf", null, null),
                new ModelPresets.Preset("qwen2.5-0.5b-instruct-q4_k_m", null, 4096, null));
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "'models:\\n  r1:\\n    ctx_size: 4096\\n'          | models.r1.ctx_size is not a setting",
        "'models:\\n  r1:\\n    ctx-size: 8\\n'             | models.r1.ctx-size must be a whole number from 16",
        "'models:\\n  r1:\\n    parallel: 0\\n'             | models.r1.parallel must be a whole number from 1 to 256",
        "'models:\\n  r1:\\n    parallel: \"2\"\\n'         | models.r1.parallel must be a whole number",
        "'models:\\n  r1:\\n    parallel: 2.5\\n'           | models.r1.parallel must be a whole number",
        "'models:\\n  r1:\\n    model: 7\\n'                | models.r1.model must be a GGUF file",
        "'models:\\n  r1: big\\n'                          | models.r1 must map settings",
        "'models:\\n  ../x:\\n    parallel: 1\\n'          | '../x' is not a model name",
        "'models: [r1]\\n'                                 | must hold one key, 'models'",
        "'model:\\n  r1:\\n    parallel: 1\\n'             | must hold one key, 'models'",
        "'models:\\n  r1:\\n    parallel: 1\\nextra: 1\\n' | must hold one key, 'models'",
        "'models: {r1: [\\n'                               | not valid YAML",
        "''                                               | must hold one key, 'models'",
    })
    void refusesWhatItCannotUseNamingThePlace(String yaml, String problem) throws Exception {
        Path file = file(yaml.replace("\\n", "\n"));

        assertThatThrownBy(() -> ModelPresets.read(file)).isInstanceOf(ModelPresets.Invalid.class)
                .hasMessageStartingWith(file.toString()).hasMessageContaining(problem);
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> ModelPresets.read(dir.resolve("none.yaml")))
                .hasMessageContaining("none.yaml").hasMessageContaining("cannot be read");
    }
}
