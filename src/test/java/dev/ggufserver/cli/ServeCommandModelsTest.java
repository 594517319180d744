package dev.ggufserver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ggufserver.server.ServerConfig;
import dev.ggufserver.testmodel.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --model [NAME=]REF}, repeated: which files are served under which names, the first as the default. */
class ServeCommandModelsTest {
    @TempDir
    Path dir;

    private ServeCommand parse(String... args) {
        ServeCommand command = new ServeCommand();
        CommandLine cli = new CommandLine(command);
        cli.parseArgs(args);
        assertThat(command.call()).isZero();
        return command;
    }

    @Test
    void eachModelIsServedByItsNameOrItsFileNameAndTheFirstIsTheDefault() throws Exception {
        Path r1 = TinyModel.write(dir, "tiny-r1.gguf", TinyModel.officialTemplate());
        Path other = Files.createDirectories(dir.resolve("with=sign"));
        Path second = TinyModel.write(other, "second.gguf", TinyModel.officialTemplate());

        ServerConfig config = parse("--model", "chat=" + r1, "--model", second.toString(),
                "--models-dir", dir.toString()).config;

        assertThat(config.models()).containsExactly(new ServerConfig.NamedModel("chat", r1),
                new ServerConfig.NamedModel("second", second)); // a path with '=' in a folder is no name
        assertThat(config.alias()).isEqualTo("chat");
        assertThat(config.model()).isEqualTo(r1);
    }

    @Test
    void aliasRenamesTheDefaultModelAndOneModelKeepsItsFileName() throws Exception {
        Path r1 = TinyModel.write(dir, "tiny-r1.gguf", TinyModel.officialTemplate());

        assertThat(parse("--model", r1.toString(), "--models-dir", dir.toString()).config.models())
                .containsExactly(new ServerConfig.NamedModel("tiny-r1", r1));
        assertThat(parse("--model", "x=" + r1, "--alias", "renamed", "--models-dir", dir.toString()).config.models())
                .extracting(ServerConfig.NamedModel::alias).isEqualTo(List.of("renamed"));
    }

    @Test
    void loadingOptionsReachTheConfiguration() throws Exception {
        Path r1 = TinyModel.write(dir, "tiny-r1.gguf", TinyModel.officialTemplate());

        ServerConfig.ModelLoading loading = parse("--model", r1.toString(), "--models-dir", dir.toString(),
                "--max-loaded-models", "2", "--keep-alive", "300", "--serve-models-dir").config.loading();
        ServerConfig.ModelLoading defaults = parse("--model", r1.toString(), "--models-dir", dir.toString())
                .config.loading();

        assertThat(loading).isEqualTo(new ServerConfig.ModelLoading(2, java.time.Duration.ofSeconds(300), dir));
        assertThat(defaults).isEqualTo(new ServerConfig.ModelLoading(ServerConfig.ModelLoading.AUTO, null, null));
        assertThat(parse("--model", r1.toString(), "--models-dir", dir.toString(), "--max-loaded-models", "0")
                .config.loading()).isEqualTo(ServerConfig.ModelLoading.ALL);
    }

    @Test
    void maxLoadedModelsIsAutoZeroOrACount() throws Exception {
        Path r1 = TinyModel.write(dir, "tiny-r1.gguf", TinyModel.officialTemplate());
        for (String bad : List.of("lots", "-1", "1001", "2.5")) {
            ServeCommand command = new ServeCommand();
            new CommandLine(command).parseArgs("--model", r1.toString(), "--models-dir", dir.toString(),
                    "--max-loaded-models", bad);
            org.assertj.core.api.Assertions.assertThatThrownBy(command::call).as(bad)
                    .hasMessageContaining("--max-loaded-models must be auto, 0 (no limit) or a number up to 1000");
        }
    }

    @Test
    void aModelsConfigAddsItsModelsAfterTheOnesNamedAndGivesEachItsSettings() throws Exception {
        Path r1 = TinyModel.write(dir, "tiny-r1.gguf", TinyModel.officialTemplate());
        Path other = TinyModel.write(dir, "other.gguf", TinyModel.officialTemplate());
        Path config = Files.writeString(dir.resolve("models.yaml"), "models:\n"
                + "  chat:\n    ctx-size: 1024\n"
                + "  second:\n    model: " + other + "\n    parallel: 1\n"
                + "  chat-again:\n    model: " + r1 + "\n");

        ServerConfig parsed = parse("--model", "chat=" + r1, "--models-config", config.toString(),
                "--models-dir", dir.toString(), "--ctx-size", "4096", "--parallel", "3").config;

        assertThat(parsed.models()).extracting(ServerConfig.NamedModel::alias)
                .containsExactly("chat", "second", "chat-again");
        ServerConfig.ModelLoading loading = parsed.loading();
        assertThat(loading.settingsOf("chat", 4096, 3)).isEqualTo(new ServerConfig.ModelSettings(1024, 3));
        assertThat(loading.settingsOf("second", 4096, 3)).isEqualTo(new ServerConfig.ModelSettings(4096, 1));
        assertThat(loading.settingsOf("unnamed", 4096, 3)).isEqualTo(new ServerConfig.ModelSettings(4096, 3));

        Path onlyConfig = parse("--models-config", config.toString(), "--models-dir", dir.toString()).config
                .models().get(0).file();
        assertThat(onlyConfig).as("without --model the file's first model is the default").isEqualTo(other);
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "models:\n  chat:\n    ctx: 1\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("--model", r1.toString(), "--models-config",
                bad.toString(), "--models-dir", dir.toString())).hasMessageContaining("models.chat.ctx is not a setting");
    }
}
