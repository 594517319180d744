package dev.ggufserver.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ggufserver.cli.ServeCommandOptions;
import dev.ggufserver.support.FakeEngine;
import dev.ggufserver.support.TestServer;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image, compose file, nginx config and Kubernetes manifests cannot run here (no Docker engine, no
 * cluster), so this test holds them to what the server really serves and reads: probe paths, ports, variable
 * names, arguments, grace periods, metric names.
 */
class DeploymentFilesTest {
    private static final Path DOCKER = Path.of("docker");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    private static <T> T k8s(String file, Class<T> type) throws IOException {
        return YAML.readValue(DOCKER.resolve("k8s").resolve(file).toFile(), type);
    }

    /** Every GGUF_SERVER_* variable the command line reads. */
    private static Set<String> variablesTheServerReads() {
        return ServeCommandOptions.environmentVariables();
    }

    private static String text(String file) throws IOException {
        return Files.readString(DOCKER.resolve(file));
    }

    @Test
    void theDockerfileBuildsANonRootImageWithAHealthCheckOnTheRealEndpoint() throws IOException {
        String dockerfile = text("Dockerfile");
        assertThat(dockerfile).contains("FROM maven:3.9-eclipse-temurin-17 AS build")
                .contains("FROM eclipse-temurin:17-jre").contains("libgomp1")
                .contains("COPY --from=build /src/target/gguf-server.jar /app/gguf-server.jar")
                .contains("USER gguf").contains("VOLUME [\"/models\"]").contains("EXPOSE 8080")
                .contains("-XX:MaxRAMPercentage").contains("GGUF_SERVER_MODELS_DIR=/models")
                .contains("HEALTHCHECK").contains("http://127.0.0.1:8080/health");
        Matcher env = Pattern.compile("(GGUF_SERVER_[A-Z_]+)=").matcher(dockerfile);
        while (env.find()) {
            assertThat(variablesTheServerReads()).as("Dockerfile sets %s", env.group(1)).contains(env.group(1));
        }
        assertThat(text("Dockerfile.dockerignore")).contains("!pom.xml").contains("!src/");
    }

    /** The arguments of the {@code native build} a Dockerfile runs (continuation lines joined, quotes dropped). */
    private static List<String> nativeBuildArguments(String dockerfile) {
        String joined = dockerfile.replace("\\\n", " ");
        Matcher m = Pattern.compile("gguf-server\\.jar native build ([^&\n]+)").matcher(joined);
        assertThat(m.find()).as("runs native build").isTrue();
        List<String> args = new ArrayList<>();
        for (String arg : m.group(1).trim().split("\\s+")) {
            args.add(arg.replace("\"", "").replace("${CUDA_ARCHITECTURES}", "80;90"));
        }
        return args;
    }

    @Test
    void theImageCanBuildANativeLibraryForItsCpuAndPointsTheServerAtIt() throws IOException {
        String dockerfile = text("Dockerfile");
        assertThat(dockerfile).contains("ARG NATIVE=bundled").contains("FROM build AS native-bundled")
                .contains("FROM build AS native-build").contains("FROM native-${NATIVE} AS native")
                .contains("COPY --from=native /native /app/native").contains("GGUF_SERVER_NATIVE_DIR=/app/native")
                .contains("--build-arg NATIVE=build").contains("cmake g++");
        List<String> args = nativeBuildArguments(dockerfile);
        assertThat(args).containsSequence("--native-dir", "/native");
        assertThat(ServeCommandOptions.nativeBuildParses(args)).as("native build %s", args).isTrue();
    }

    @Test
    void theCudaImageBuildsTheCudaLibraryWithoutAGpuAndOffloadsEveryLayerByDefault() throws IOException {
        String dockerfile = text("Dockerfile.cuda");
        assertThat(dockerfile).containsPattern("FROM nvidia/cuda:\\$\\{CUDA_VERSION}-devel-\\$\\{UBUNTU} AS build")
                .containsPattern("FROM nvidia/cuda:\\$\\{CUDA_VERSION}-runtime-\\$\\{UBUNTU}\\n")
                .contains("ARG CUDA_ARCHITECTURES=").contains("stubs/libcuda.so.1")
                .contains("COPY --from=build /native /app/native").contains("GGUF_SERVER_NATIVE_DIR=/app/native")
                .contains("GGUF_SERVER_GPU_LAYERS=auto").contains("docker run --gpus all")
                .contains("USER gguf").contains("HEALTHCHECK").contains("http://127.0.0.1:8080/health");
        List<String> args = nativeBuildArguments(dockerfile);
        assertThat(args).contains("--cuda").containsSequence("--cuda-architectures", "80;90")
                .containsSequence("--native-dir", "/native");
        assertThat(ServeCommandOptions.nativeBuildParses(args)).as("native build %s", args).isTrue();
        Matcher env = Pattern.compile("(GGUF_SERVER_[A-Z_]+)=").matcher(dockerfile);
        while (env.find()) {
            assertThat(variablesTheServerReads()).as("Dockerfile.cuda sets %s", env.group(1)).contains(env.group(1));
        }
        assertThat(text("Dockerfile.cuda.dockerignore")).isEqualTo(text("Dockerfile.dockerignore"));
    }

    @Test
    void theEntrypointListensEverywhereOnlyWithAKeyOrAnExplicitOptIn(@TempDir Path dir) throws Exception {
        Path fakeJava = dir.resolve("java");
        Files.writeString(fakeJava, "#!/bin/sh\necho \"host=$GGUF_SERVER_HOST args=$*\"\n");
        Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwxr-xr-x"));
        String path = dir + ":" + System.getenv("PATH");

        Run refused = entrypoint(Map.of("PATH", path));
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.output()).contains("GGUF_SERVER_API_KEY").contains("GGUF_SERVER_ALLOW_NO_API_KEY");

        assertThat(entrypoint(Map.of("PATH", path, "GGUF_SERVER_API_KEY", "k")).output())
                .contains("host=0.0.0.0 args=-jar /app/gguf-server.jar --parallel 2");
        assertThat(entrypoint(Map.of("PATH", path, "GGUF_SERVER_API_KEY_FILE", "/keys")).output())
                .contains("host=0.0.0.0");
        assertThat(entrypoint(Map.of("PATH", path, "GGUF_SERVER_ALLOW_NO_API_KEY", "true")).output())
                .contains("host=0.0.0.0");
    }

    private record Run(int code, String output) {
    }

    private static Run entrypoint(Map<String, String> env) throws Exception {
        ProcessBuilder b = new ProcessBuilder("sh", DOCKER.resolve("entrypoint.sh").toString(), "--parallel", "2")
                .redirectErrorStream(true);
        b.environment().clear();
        b.environment().putAll(env);
        Process p = b.start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes()));
    }

    @Test
    void composeRunsTheServerAndTwoStickyReplicasBehindAStreamingFriendlyBalancer() throws IOException {
        // SnakeYAML applies compose's "<<: *server" merge keys (Jackson's YAML reader would not)
        Object loaded = new org.yaml.snakeyaml.Yaml().load(text("compose.yaml"));
        JsonNode compose = new ObjectMapper().valueToTree(loaded);
        JsonNode services = compose.get("services");
        JsonNode server = services.get("gguf-server");
        assertThat(server.get("ports").get(0).asText()).endsWith(":8080");
        assertThat(server.get("healthcheck").get("test").toString()).contains("http://127.0.0.1:8080/health");
        assertThat(server.get("volumes").get(0).asText()).isEqualTo("models:/models");
        server.get("environment").fieldNames().forEachRemaining(name ->
                assertThat(variablesTheServerReads()).as("compose sets %s", name).contains(name));
        int shutdown = server.get("environment").get("GGUF_SERVER_SHUTDOWN_TIMEOUT").asInt();
        assertThat(seconds(server.get("stop_grace_period").asText())).isGreaterThan(shutdown);
        for (String replica : List.of("replica-1", "replica-2", "balancer")) {
            assertThat(services.get(replica).get("profiles").get(0).asText()).isEqualTo("scale");
        }

        String nginx = text("nginx.conf");
        assertThat(nginx).contains("proxy_buffering off").contains("proxy_http_version 1.1")
                .contains("hash $conversation consistent").contains("$http_x_conversation_id")
                .contains("server replica-1:8080").contains("server replica-2:8080")
                .contains("http_503");
        Matcher timeout = Pattern.compile("proxy_read_timeout (\\d+)s").matcher(nginx);
        assertThat(timeout.find()).isTrue();
        assertThat(Integer.parseInt(timeout.group(1))).isGreaterThanOrEqualTo(600);
        Matcher body = Pattern.compile("client_max_body_size (\\d+)m").matcher(nginx);
        assertThat(body.find()).isTrue();
        assertThat(Long.parseLong(body.group(1)) * 1024 * 1024)
                .isEqualTo(dev.ggufserver.server.HttpOptions.DEFAULT_MAX_BODY_BYTES);
    }

    private static int seconds(String duration) {
        return Integer.parseInt(duration.replace("s", ""));
    }

    @Test
    void theDeploymentProbesServesAndDrainsWhatTheServerReallyDoes() throws Exception {
        Deployment deployment = k8s("deployment.yaml", Deployment.class);
        var pod = deployment.getSpec().getTemplate().getSpec();
        Container server = pod.getContainers().get(0);
        assertThat(server.getPorts().get(0).getContainerPort()).isEqualTo(8080);
        String portName = server.getPorts().get(0).getName();
        for (Probe probe : List.of(server.getStartupProbe(), server.getReadinessProbe(), server.getLivenessProbe())) {
            assertThat(probe.getHttpGet().getPath()).isEqualTo("/health");
            assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo(portName);
        }
        // the startup probe must outlast a first download and load; liveness must outlast an engine restart
        assertThat(server.getStartupProbe().getPeriodSeconds() * server.getStartupProbe().getFailureThreshold())
                .isGreaterThanOrEqualTo(300);
        assertThat(server.getLivenessProbe().getPeriodSeconds() * server.getLivenessProbe().getFailureThreshold())
                .isGreaterThanOrEqualTo(30);

        Map<String, String> env = server.getEnv().stream().collect(Collectors.toMap(EnvVar::getName,
                EnvVar::getValue));
        assertThat(variablesTheServerReads()).containsAll(env.keySet());
        assertThat(ServeCommandOptions.parses(server.getArgs())).as("container args %s", server.getArgs()).isTrue();
        int shutdown = Integer.parseInt(env.get("GGUF_SERVER_SHUTDOWN_TIMEOUT"));
        long preStop = server.getLifecycle().getPreStop().getSleep().getSeconds();
        assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThan(shutdown + preStop);

        String keyFile = env.get("GGUF_SERVER_API_KEY_FILE");
        assertThat(server.getVolumeMounts()).anyMatch(m -> keyFile.startsWith(m.getMountPath() + "/")
                && m.getName().equals("api-keys"));
        Container pull = pod.getInitContainers().get(0);
        assertThat(pull.getCommand()).containsSubsequence("pull", "--models-dir", env.get("GGUF_SERVER_MODELS_DIR"));
        assertThat(pull.getVolumeMounts().get(0).getMountPath()).isEqualTo(env.get("GGUF_SERVER_MODELS_DIR"));
        PersistentVolumeClaim pvc = k8s("pvc.yaml", PersistentVolumeClaim.class);
        assertThat(pod.getVolumes()).anyMatch(v -> v.getPersistentVolumeClaim() != null
                && v.getPersistentVolumeClaim().getClaimName().equals(pvc.getMetadata().getName()));
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("prometheus.io/path", "/metrics").containsEntry("prometheus.io/port", "8080");

        Service service = k8s("service.yaml", Service.class);
        assertThat(service.getSpec().getPorts().get(0).getTargetPort().getStrVal()).isEqualTo(portName);
        assertThat(service.getSpec().getSelector()).isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        PodDisruptionBudget pdb = k8s("pdb.yaml", PodDisruptionBudget.class);
        assertThat(pdb.getSpec().getSelector().getMatchLabels())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
    }

    @Test
    void theAutoscalerWatchesAMetricTheServerExports() throws Exception {
        HorizontalPodAutoscaler hpa = k8s("hpa.yaml", HorizontalPodAutoscaler.class);
        String metric = hpa.getSpec().getMetrics().get(0).getPods().getMetric().getName();
        assertThat(hpa.getSpec().getScaleTargetRef().getName())
                .isEqualTo(k8s("deployment.yaml", Deployment.class).getMetadata().getName());

        try (TestServer server = TestServer.serving(new FakeEngine(512, 1).script("x"), Duration.ofSeconds(5))) {
            // one series per served model, tagged with it
            assertThat(server.http().get("/metrics").body()).containsPattern("\n" + metric + "\\{model=\"[^\"]+\"} ");
        }
    }

    @Test
    void kustomizeListsEveryManifestAndTheSecretExampleIsNotApplied() throws IOException {
        JsonNode kustomization = YAML.readTree(DOCKER.resolve("k8s/kustomization.yaml").toFile());
        List<String> resources = new ArrayList<>();
        kustomization.get("resources").forEach(r -> resources.add(r.asText()));
        try (var files = Files.list(DOCKER.resolve("k8s"))) {
            List<String> manifests = files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")
                            && !n.equals("secret.example.yaml")).toList();
            assertThat(resources).containsExactlyInAnyOrderElementsOf(manifests);
        }
    }
}
