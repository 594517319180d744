package dev.ggufserver.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the engine process's environment gets from the server's (the real process: CommandLineIT). */
class EngineEnvironmentTest {

    private static Map<String, String> prepared(Map<String, String> server) {
        Map<String, String> environment = new HashMap<>(server);
        WorkerConnection.prepareEnvironment(environment);
        return environment;
    }

    @Test
    void mallocAsksForHugePagesAndLibgompSpinsLongerUnlessTheUserSaidOtherwise() {
        assertThat(prepared(Map.of("PATH", "/usr/bin", "LLAMA_ARG_CTX_SIZE", "16"))).containsExactlyInAnyOrderEntriesOf(
                Map.of("PATH", "/usr/bin", "GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", "GOMP_SPINCOUNT", "10000000"));
        assertThat(prepared(Map.of("GLIBC_TUNABLES", " "))).containsEntry("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1");
        assertThat(prepared(Map.of("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")))
                .containsEntry("GLIBC_TUNABLES", "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
        assertThat(prepared(Map.of("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2")))
                .containsEntry("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2");
        assertThat(prepared(Map.of("OMP_WAIT_POLICY", "PASSIVE"))).doesNotContainKey("GOMP_SPINCOUNT");
        assertThat(prepared(Map.of("GOMP_SPINCOUNT", "1000"))).containsEntry("GOMP_SPINCOUNT", "1000");
    }
}
