package dev.ggufserver.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code --model} and {@code pull} accept, and which hosts may see HF_TOKEN. */
class ModelReferenceTest {
    private static final URI MIRROR = URI.create("http://127.0.0.1:9000/mirror/prefix");

    private static ModelReference.Remote remote(String text) {
        return (ModelReference.Remote) ModelReference.parse(text, MIRROR);
    }

    @Test
    void dotSegmentsAndEmptyOnesAreRefusedInEveryPartOfAHuggingFaceReference() {
        List<String> escapes = List.of("hf:../../x/y.gguf", "hf:./r/y.gguf", "hf:o/../y.gguf", "hf:o/./y.gguf",
                "hf:o/r/../y.gguf", "hf:o/r/a/./y.gguf", "hf:o/r/a//y.gguf", "hf:o/r/y.gguf@../../../../x",
                "hf:o/r/y.gguf@.", "hf:o/r/y.gguf@main/..", "hf:o/r/y.gguf@refs//pr", "hf:o/r/a?b/y.gguf");
        for (String text : escapes) {
            assertThatThrownBy(() -> ModelReference.parse(text, MIRROR)).as(text)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("'" + text + "' is not a valid Hugging Face reference");
        }
    }

    @Test
    void ordinaryReferencesStayUnderTheEndpointsPrefix() {
        assertThat(remote("hf:o.x/r-1/sub/y.gguf@refs/pr/1").url()).isEqualTo(
                URI.create("http://127.0.0.1:9000/mirror/prefix/o.x/r-1/resolve/refs/pr/1/sub/y.gguf"));
        assertThat(remote("hf:o/r/y.gguf").url().normalize().getPath()).startsWith("/mirror/prefix/o/r/");
        assertThat(remote("hf:o/r/y.gguf..gguf").fileName()).isEqualTo("y.gguf..gguf"); // dots inside a name are fine
    }

    @Test
    void aUrlIsHuggingFacesOnlyOnTheEndpointsSchemeHostAndPort() {
        assertThat(remote("http://127.0.0.1:9000/o/r/resolve/main/y.gguf").huggingFace()).isTrue();
        assertThat(remote("http://127.0.0.1:9001/o/r/resolve/main/y.gguf").huggingFace()).isFalse();
        assertThat(remote("https://127.0.0.1:9000/o/r/resolve/main/y.gguf").huggingFace()).isFalse();
        assertThat(remote("http://localhost:9000/y.gguf").huggingFace()).isFalse();
    }

    @Test
    void sameOriginComparesSchemeHostAndTheEffectivePort() {
        URI hf = URI.create("https://huggingface.co/o/r/resolve/main/y.gguf");
        assertThat(ModelReference.sameOrigin(URI.create("https://HuggingFace.co:443/x"), hf)).isTrue();
        assertThat(ModelReference.sameOrigin(URI.create("http://huggingface.co/x"), hf)).isFalse();
        assertThat(ModelReference.sameOrigin(URI.create("https://huggingface.co:8443/x"), hf)).isFalse();
        assertThat(ModelReference.sameOrigin(URI.create("https://cdn-lfs.huggingface.co/x"), hf)).isFalse();
    }
}
