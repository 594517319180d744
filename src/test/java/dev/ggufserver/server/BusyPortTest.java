package dev.ggufserver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ggufserver.support.RealServers;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** A port someone else holds is the user's to change: one line naming it and --port, exit code 2. */
class BusyPortTest {
    @Test
    void aPortInUseIsOneLineNamingItWithAPortHintAndExitCodeTwo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            ServerConfig config = ServerConfig.of(RealServers.tinyModel(), "127.0.0.1", port, 256, 1, 1, "tiny");

            assertThatThrownBy(() -> GgufServer.start(config).close())
                    .isInstanceOfSatisfying(StartupException.class, e -> {
                        assertThat(e.exitCode()).isEqualTo(StartupException.USAGE);
                        assertThat(e.getMessage()).isEqualTo("port " + port + " on 127.0.0.1 is already in use; "
                                + "choose another with --port (0 picks a free one)");
                    });
        }
    }
}
