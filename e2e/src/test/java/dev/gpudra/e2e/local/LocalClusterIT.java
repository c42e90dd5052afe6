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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's main job, {@code scripts/local-cluster.sh}, minus its Maven build: {@link
 * LocalCluster} started as the script starts it, in a JVM of its own with a state directory. It
 * must report the real nodes' versions, the example's pod Running with a GPU and the device node
 * its container lists (major 195), leave a cluster that its kubeconfig reaches, and on the stop
 * file stop every process it started and remove the cgroups of the containers it ran.
 */
class LocalClusterIT {

  private static final Duration START = Duration.ofMinutes(5);
  private static final String CONTAINERS = "/sys/fs/cgroup/pids/k8s.io";
  private static final String CLASSPATH_PROPERTY = "gpudra.e2e.runtimeClasspath";

  @Test
  void startsTwoGpuNodesRunsTheExampleReportsItsGpuAndStopsCleanly() throws Exception {
    Path work = Files.createDirectories(Path.of(System.getProperty("gpudra.e2e.work", "target")));
    Path state = Files.createTempDirectory(work, "local-cluster-");
    List<String> cgroupsBefore = containerCgroups();
    Process cluster = start(state, "h100-else-a100");
    try {
      awaitFile(cluster, state.resolve("ready"), state);
      String report = Files.readString(state.resolve("report.txt"));
      System.out.print("[e2e] local cluster report:\n" + report);

      assertThat(report)
          .contains("Kubernetes v1.37")
          .contains("containerd")
          .contains("runc version")
          .contains("pod default/h100-else-a100: Running on gpu-h100-8x")
          .containsPattern("request gpu/h100 +-> gpu-h100-8x/gpu-\\d+")
          .contains("its container prints:")
          .containsPattern("195, +\\d+ .*/dev/nvidia\\d+")
          .contains("RSS MiB");
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
      assertThat(children).as("control plane, kubelets and containerds").hasSizeGreaterThan(6);

      Files.writeString(state.resolve("stop"), "");
      assertThat(cluster.waitFor(2, TimeUnit.MINUTES)).as("stopped within 2 minutes").isTrue();
      assertThat(cluster.exitValue()).isZero();
      assertThat(children).noneMatch(ProcessHandle::isAlive);
      assertThat(containerCgroups())
          .as("the cgroups of its containers removed; %s holds what it held before", CONTAINERS)
          .isEqualTo(cgroupsBefore);
    } finally {
      stopLeavingTheHostAsFound(cluster, state);
    }
  }

  /**
   * What {@value #CONTAINERS} holds: containerd's container cgroups, and the directory itself
   * ({@code "."}). Empty when it does not exist. A run killed before its teardown (its JVM or the
   * machine stopped) leaves its cgroups behind; those are no business of this run's stop.
   */
  private static List<String> containerCgroups() throws IOException {
    Path dir = Path.of(CONTAINERS);
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<String> names = new ArrayList<>(List.of("."));
    try (Stream<Path> entries = Files.list(dir)) {
      entries
          .filter(Files::isDirectory)
          .map(e -> e.getFileName().toString())
          .sorted()
          .forEach(names::add);
    }
    return names;
  }

  /**
   * Stops the cluster when a check above failed: first as a user does (the stop file), then with
   * SIGTERM (its shutdown hooks stop the nodes), and only then forcibly. Killing it outright would
   * skip its teardown and leave the kubelets' kernel settings on the host.
   */
  private static void stopLeavingTheHostAsFound(Process cluster, Path state) throws Exception {
    if (cluster.isAlive()) {
      Files.writeString(state.resolve("stop"), "");
      if (!cluster.waitFor(2, TimeUnit.MINUTES)) {
        cluster.destroy();
        cluster.waitFor(1, TimeUnit.MINUTES);
      }
    }
    cluster.descendants().forEach(ProcessHandle::destroyForcibly);
    cluster.destroyForcibly();
  }

  private static Process start(Path state, String example) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String property :
        List.of(
            "gpudra.e2e.versions", "gpudra.e2e.chart", "gpudra.e2e.examples", "gpudra.e2e.image")) {
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
