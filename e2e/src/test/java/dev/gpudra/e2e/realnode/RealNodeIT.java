package dev.gpudra.e2e.realnode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Poll;
import dev.gpudra.e2e.junit.RealNodeScenario;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real nodes themselves, without our driver: both join the real API server and run pods whose
 * containers' output comes back through the API (kubelet, containerd, runc, CNI and the offline
 * images all working), and a stopped node leaves nothing on the host.
 */
class RealNodeIT {

  private static final String NAMESPACE = "real-node";
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  @RegisterExtension
  static final RealNodeScenario scenario =
      RealNodeScenario.withNode("real-a100", "a100-8x").andNode("real-h100", "h100-8x");

  @AfterEach
  void removeNamespace(KubernetesClient client) {
    client.namespaces().withName(NAMESPACE).delete();
    Poll.until(
        "namespace " + NAMESPACE + " gone",
        TIMEOUT,
        Duration.ofMillis(500),
        () -> client.namespaces().withName(NAMESPACE).get(),
        ns -> ns == null);
  }

  @Test
  void eachNodeRunsAPodWhoseContainerOutputIsReadThroughTheApi(
      KubernetesClient client, RealNodes nodes) {
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    for (RealNode node : nodes.nodes()) {
      client.pods().inNamespace(NAMESPACE).resource(printingPod(node.name())).create();
    }
    for (RealNode node : nodes.nodes()) {
      String log =
          Poll.until(
              "log of the pod on " + node.name(),
              TIMEOUT,
              Duration.ofMillis(500),
              () -> logOf(client, "print-" + node.name()),
              l -> l.contains("done"));
      assertThat(log).contains("running on " + node.name()).contains("\nbusybox\n");
    }
  }

  @Test
  void aStoppedNodeLeavesNothingOnTheHost(
      ControlPlane plane, RealNodes nodes, KubernetesClient client) {
    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
        .create();
    RealNode node = nodes.startNode(plane, "real-teardown", "l4-1x");
    try {
      client.pods().inNamespace(NAMESPACE).resource(printingPod(node.name())).create();
      Poll.until(
          "pod on " + node.name() + " running",
          TIMEOUT,
          Duration.ofMillis(500),
          () -> logOf(client, "print-" + node.name()),
          l -> l.contains("done"));
      assertThat(node.hostTraces()).isNotEmpty();
    } finally {
      node.close();
    }
    assertThat(node.hostTraces()).isEmpty();
    assertThat(client.nodes().withName(node.name()).get()).isNull();
  }

  @Test
  void aNodeWhoseKubeletCannotStartReportsItAndStopsEverything(ControlPlane plane, RealNodes nodes)
      throws Exception {
    // The next extra node's kubelet port, taken on every address: its kubelet exits at once.
    int port = 10250 + RealNodes.EXTRA_INDEX + nodes.extraNodesStarted();
    try (ServerSocket taken = new ServerSocket(port)) {
      assertThat(taken.getLocalPort()).isEqualTo(port);
      assertThatThrownBy(() -> nodes.startNode(plane, "real-broken", "l4-1x"))
          .hasMessageContaining("real-broken-kubelet")
          .hasMessageContaining("exited");
    }
    assertThat(plane.client().nodes().withName("real-broken").get()).isNull();
    try (Stream<Path> tmp = Files.list(Path.of("/tmp"))) {
      assertThat(tmp.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith("gpudra-node-" + (port - 10250) + "-"));
    }
    assertThat(
            Command.check(Duration.ofSeconds(10), "ip", "-4", "-o", "addr", "show", "dev", "lo")
                .stdout())
        .doesNotContain(" 10.255.0." + (port - 10250) + "/");
  }

  private static String logOf(KubernetesClient client, String pod) {
    Pod current = client.pods().inNamespace(NAMESPACE).withName(pod).get();
    if (current == null
        || current.getStatus() == null
        || !"Running".equals(current.getStatus().getPhase())) {
      return "";
    }
    return client.pods().inNamespace(NAMESPACE).withName(pod).getLog();
  }

  private static Pod printingPod(String node) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("print-" + node)
        .endMetadata()
        .withNewSpec()
        .withNodeSelector(Map.of("kubernetes.io/hostname", node))
        .withAutomountServiceAccountToken(false)
        .withTerminationGracePeriodSeconds(1L)
        .addNewContainer()
        .withName("print")
        .withImage(OfflineImages.WORKLOAD)
        .withImagePullPolicy("IfNotPresent")
        .withCommand(
            List.of("/bin/sh", "-c", "echo running on $NODE; ls /bin; echo done; sleep 3600"))
        .addNewEnv()
        .withName("NODE")
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath("spec.nodeName")
        .endFieldRef()
        .endValueFrom()
        .endEnv()
        .endContainer()
        .endSpec()
        .build();
  }
}
