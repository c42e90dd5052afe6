package dev.gpudra.e2e.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's main job, {@code scripts/local-cluster.sh}, minus its Maven build: {@link
 * LocalCluster} started as the script starts it, in a JVM of its own with a state directory. It
 * must report the example's pod Running with a GPU and an existing CDI spec, leave a cluster that
 * its kubeconfig reaches, and on the stop file stop every process it started and remove the fake
 * nodes' files.
 */
class LocalClusterIT {

  private static final Duration START = Duration.ofMinutes(5);
  private static final String CLASSPATH_PROPERTY = "gpudra.e2e.runtimeClasspath";
  private static final Pattern CDI_SPEC = Pattern.compile("CDI spec (\\S+)");

  @Test
  void startsTwoGpuNodesRunsTheExampleReportsItsGpuAndStopsCleanly() throws Exception {
    Path work = Files.createDirectories(Path.of(System.getProperty("gpudra.e2e.work", "target")));
    Path state = Files.createTempDirectory(work, "local-cluster-");
    Process cluster = start(state, "h100-else-a100");
    try {
      awaitFile(cluster, state.resolve("ready"), state);
      String report = Files.readString(state.resolve("report.txt"));
      System.out.print("[e2e] local cluster report:\n" + report);

      assertThat(report)
          .contains("Kubernetes v1.37")
          .contains("pod default/h100-else-a100: Running on gpu-h100-8x")
          .containsPattern("request gpu/h100 +-> gpu-h100-8x/gpu-\\d+")
          .containsPattern("device nodes .*/dev/nvidia\\d+");
      Matcher spec = CDI_SPEC.matcher(report);
      assertThat(spec.find()).as("report names a CDI spec").isTrue();
      Path specFile = Path.of(spec.group(1));
      assertThat(specFile).exists();

      try (KubernetesClient client =
          new KubernetesClientBuilder()
              .withConfig(Config.fromKubeconfig(Files.readString(state.resolve("kubeconfig"))))
              .build()) {
        Pod pod = client.pods().inNamespace("default").withName("h100-else-a100").get();
        assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
        assertThat(client.nodes().list().getItems())
            .extracting(n -> n.getMetadata().getName())
            .containsExactlyInAnyOrder(LocalCluster.A100_NODE, LocalCluster.H100_NODE);
      }
      List<ProcessHandle> children = cluster.descendants().toList();
      assertThat(children).as("control plane, plugins and controller").hasSizeGreaterThan(6);

      Files.writeString(state.resolve("stop"), "");
      assertThat(cluster.waitFor(2, TimeUnit.MINUTES)).as("stopped within 2 minutes").isTrue();
      assertThat(cluster.exitValue()).isZero();
      assertThat(children).noneMatch(ProcessHandle::isAlive);
      assertThat(specFile).as("the fake node's files are removed").doesNotExist();
    } finally {
      cluster.descendants().forEach(ProcessHandle::destroyForcibly);
      cluster.destroyForcibly();
    }
  }

  private static Process start(Path state, String example) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String property :
        List.of("gpudra.e2e.versions", "gpudra.e2e.chart", "gpudra.e2e.examples")) {
      command.add("-D" + property + "=" + System.getProperty(property));
    }
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-cp");
    command.add(runtimeClassPath());
    command.add(LocalCluster.class.getName());
    command.add(state.toString());
    command.add(example);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(state.resolve("cluster.log").toFile())
        .start();
  }

  /**
   * As {@code scripts/local-cluster.sh} has it: the harness's main classes and the module's runtime
   * class path, which the build writes to a file (system property {@value #CLASSPATH_PROPERTY}). No
   * test classes: the main job must run without them.
   */
  private static String runtimeClassPath() throws IOException {
    Path classes;
    try {
      classes =
          Path.of(LocalCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    assertThat(classes.toString()).as("main classes").doesNotContain("test-classes");
    Path file = Path.of(System.getProperty(CLASSPATH_PROPERTY));
    return classes + File.pathSeparator + Files.readString(file).strip();
  }

  private static void awaitFile(Process cluster, Path file, Path state) throws Exception {
    long deadline = System.nanoTime() + START.toNanos();
    while (!Files.exists(file)) {
      if (!cluster.isAlive() || Files.exists(state.resolve("failed"))) {
        throw new AssertionError(
            "local cluster failed:\n" + Files.readString(state.resolve("cluster.log")));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "local cluster not ready after "
                + START
                + ":\n"
                + Files.readString(state.resolve("cluster.log")));
      }
      Thread.sleep(250);
    }
  }
}
