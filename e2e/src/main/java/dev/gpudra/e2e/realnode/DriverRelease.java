package dev.gpudra.e2e.realnode;

import dev.gpudra.core.names.DriverNames;
import dev.gpudra.e2e.chart.Helm;
import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.ComponentProcess;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Poll;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Our chart installed with the real Helm into the cluster of real nodes, in fake-GPU mode ({@code
 * charts/gpudra/ci/fake-gpu-values.yaml}) and the driver's image imported into every node: the
 * kubelet plugin runs as the DaemonSet's pod on each node and registers with its real kubelet, the
 * controller runs as the Deployment's pod. Only the node paths and the mock profile differ from the
 * values file: every node's fake GPUs lie at {@link RealNode#FAKE_ROOT} and its profile at {@link
 * RealNode#MOCK_PROFILE}, inside its own mount namespace.
 */
public final class DriverRelease implements AutoCloseable {

  /** The namespace the chart is installed into. */
  public static final String NAMESPACE = "gpudra-system";

  /** System property naming the image tar the image module builds; the e2e POM sets it. */
  public static final String IMAGE_PROPERTY = "gpudra.e2e.image";

  private static final Duration READY = Duration.ofMinutes(6);
  private static final int LIVENESS_DELAY_SECONDS = 300;
  private static final Pattern REGISTERED =
      Pattern.compile(".*[Rr]egister.*" + Pattern.quote(DriverNames.DRIVER) + ".*");

  private final ControlPlane plane;
  private final Helm helm;

  private DriverRelease(ControlPlane plane, Helm helm) {
    this.plane = plane;
    this.helm = helm;
  }

  /** The driver's image tar ({@code image/target/gpudra-image.tar}), failing if it is not built. */
  public static Path imageTar() {
    Path tar = Path.of(System.getProperty(IMAGE_PROPERTY, "../image/target/gpudra-image.tar"));
    if (!Files.isRegularFile(tar)) {
      throw new IllegalStateException(
          "the driver's image " + tar + " is not built; run ./mvnw -pl image -am package");
    }
    return tar;
  }

  /**
   * Installs the chart and waits until every node's plugin pod is ready, registered with the node's
   * kubelet and has published the node's ResourceSlices, and the controller's pod is ready.
   */
  public static DriverRelease install(ControlPlane plane, RealNodes nodes) {
    return install(plane, nodes, List.of());
  }

  /** Like {@link #install(ControlPlane, RealNodes)}, with {@code setValues} added last. */
  public static DriverRelease install(ControlPlane plane, RealNodes nodes, List<String> setValues) {
    return install(plane, nodes, List.of(), setValues);
  }

  /**
   * Like {@link #install(ControlPlane, RealNodes, List)}, with the values files {@code valuesFiles}
   * (e.g. an example's {@code values.yaml}) after the fake-GPU values; the node paths and {@code
   * setValues} still win.
   */
  public static DriverRelease install(
      ControlPlane plane, RealNodes nodes, List<Path> valuesFiles, List<String> setValues) {
    Helm helm = new Helm(plane);
    long begin = System.nanoTime();
    List<String> values =
        new ArrayList<>(
            List.of(
                "kubeletPlugin.driverRoot=" + RealNode.FAKE_ROOT + "/driver",
                "kubeletPlugin.devRoot=" + RealNode.FAKE_ROOT,
                "kubeletPlugin.procRoot=" + RealNode.FAKE_ROOT + "/proc",
                "kubeletPlugin.sysfsRoot=" + RealNode.FAKE_ROOT + "/sys",
                "fakeGpu.profile=" + RealNode.MOCK_PROFILE,
                // Two shared cores: a JVM in a container can need minutes to start when the
                // machine is busy; a liveness probe at its default 30 s would restart it forever.
                "kubeletPlugin.livenessProbe.initialDelaySeconds=" + LIVENESS_DELAY_SECONDS));
    values.addAll(setValues);
    Command result =
        helm.install(
            NAMESPACE,
            Stream.concat(
                    Stream.of(helm.chart().resolve("ci/fake-gpu-values.yaml")),
                    valuesFiles.stream())
                .toList(),
            values.toArray(String[]::new));
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          "helm install failed (" + result.exitCode() + "):\n" + result.stdout() + result.stderr());
    }
    DriverRelease release = new DriverRelease(plane, helm);
    try {
      for (RealNode node : nodes.nodes()) {
        release.awaitPlugin(node);
      }
      Poll.until(
          "controller pod ready",
          READY,
          Duration.ofMillis(500),
          () -> release.pods("controller"),
          pods -> pods.stream().anyMatch(DriverRelease::ready));
      ControlPlane.log(
          "chart installed with "
              + helm.version()
              + "; plugin registered on "
              + nodes.nodes().size()
              + " real nodes in "
              + (System.nanoTime() - begin) / 1_000_000
              + " ms");
      return release;
    } catch (RuntimeException e) {
      release.printPods();
      release.close();
      throw e;
    }
  }

  private void awaitPlugin(RealNode node) {
    Poll.until(
        "plugin pod ready on " + node.name(),
        READY,
        Duration.ofMillis(500),
        () ->
            pods("kubelet-plugin").stream()
                .filter(p -> node.name().equals(p.getSpec().getNodeName()))
                .toList(),
        pods -> pods.stream().anyMatch(DriverRelease::ready));
    Poll.until(
        "kubelet of " + node.name() + " registered " + DriverNames.DRIVER,
        READY,
        Duration.ofMillis(500),
        () -> registrationLines(node.kubeletLog()),
        lines -> !lines.isEmpty());
    Poll.until(
        "ResourceSlices of " + node.name(),
        READY,
        Duration.ofMillis(500),
        () ->
            plane
                .client()
                .dynamicResourceAllocation()
                .v1()
                .resourcesSlices()
                .list()
                .getItems()
                .stream()
                .filter(s -> s.getSpec() != null && node.name().equals(s.getSpec().getNodeName()))
                .filter(s -> DriverNames.DRIVER.equals(s.getSpec().getDriver()))
                .toList(),
        slices -> !slices.isEmpty());
  }

  /**
   * Upgrades the release in place with {@code setValues} added to its values (e.g. a changed pod
   * annotation, which rolls the plugin's DaemonSet), failing if Helm does.
   */
  public void upgrade(String... setValues) {
    Command result = helm.upgrade(NAMESPACE, setValues);
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          "helm upgrade failed (" + result.exitCode() + "):\n" + result.stdout() + result.stderr());
    }
  }

  /** The lines of a kubelet log that tell our driver's plugin was registered. */
  public static List<String> registrationLines(Path kubeletLog) {
    try {
      return Files.readAllLines(kubeletLog).stream()
          .filter(l -> REGISTERED.matcher(l).matches())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The release's pods of {@code component} ({@code kubelet-plugin} or {@code controller}). */
  public List<Pod> pods(String component) {
    return plane
        .client()
        .pods()
        .inNamespace(NAMESPACE)
        .withLabels(Map.of("app.kubernetes.io/component", component))
        .list()
        .getItems();
  }

  private static boolean ready(Pod pod) {
    List<ContainerStatus> statuses =
        pod.getStatus() == null ? null : pod.getStatus().getContainerStatuses();
    return statuses != null
        && !statuses.isEmpty()
        && statuses.stream().allMatch(s -> Boolean.TRUE.equals(s.getReady()));
  }

  private void printPods() {
    KubernetesClient client = plane.client();
    for (Pod pod : client.pods().inNamespace(NAMESPACE).list().getItems()) {
      String name = pod.getMetadata().getName();
      String log;
      try {
        log = client.pods().inNamespace(NAMESPACE).withName(name).tailingLines(30).getLog();
      } catch (RuntimeException e) {
        log = "(no log: " + e.getMessage() + ")";
      }
      ControlPlane.log(
          "pod "
              + name
              + " on "
              + pod.getSpec().getNodeName()
              + ": "
              + pod.getStatus()
              + "\n"
              + log);
    }
  }

  /** Uninstalls the release and waits until its pods and its namespace are gone. */
  @Override
  public void close() {
    Command result = helm.uninstall(NAMESPACE);
    if (result.exitCode() != 0) {
      ControlPlane.log("helm uninstall failed: " + result.stdout() + result.stderr());
    }
    // MPS daemon pods are the plugin's, not the release's: they outlive an uninstall on purpose
    // (their clients keep running); a scenario that leaves one behind has them removed here.
    plane
        .client()
        .pods()
        .inNamespace(NAMESPACE)
        .withLabel("app.kubernetes.io/component", "mps-control-daemon")
        .delete();
    Poll.until(
        "pods of " + NAMESPACE + " gone",
        READY,
        Duration.ofMillis(500),
        () -> plane.client().pods().inNamespace(NAMESPACE).list().getItems(),
        List::isEmpty);
    plane.client().namespaces().withName(NAMESPACE).delete();
    // The next scenario installs into the same namespace, which the API server refuses while the
    // namespace is still terminating.
    Poll.until(
        NAMESPACE + " deleted",
        READY,
        Duration.ofMillis(500),
        () -> Optional.ofNullable(plane.client().namespaces().withName(NAMESPACE).get()),
        Optional::isEmpty);
  }

  /** For failure messages: the end of {@code log}. */
  static String tail(Path log) {
    return ComponentProcess.tail(log, 30);
  }
}
