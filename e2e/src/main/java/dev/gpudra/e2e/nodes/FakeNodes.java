package dev.gpudra.e2e.nodes;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Node objects with no kubelet behind them: created, marked Ready with CPU, memory and pod
 * capacity, so that the real scheduler considers them. Nothing renews the Ready condition, which is
 * fine because the harness runs without the node-lifecycle controller.
 */
public final class FakeNodes {

  private static final Map<String, Quantity> CAPACITY =
      Map.of(
          "cpu", new Quantity("16"), "memory", new Quantity("64Gi"), "pods", new Quantity("110"));

  private static final int MAX_ATTEMPTS = 5;

  private FakeNodes() {}

  /**
   * Creates Node {@code name} with the well-known labels a kubelet sets and nothing else: no
   * status, so the scheduler does not consider it (enough for objects that only refer to it).
   */
  public static Node create(KubernetesClient client, String name) {
    return client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("kubernetes.io/hostname", name)
                .addToLabels("kubernetes.io/os", "linux")
                .addToLabels("kubernetes.io/arch", "amd64")
                .endMetadata()
                .build())
        .create();
  }

  /** Creates {@code name} and makes it schedulable; returns the stored Node. */
  public static Node createReady(KubernetesClient client, String name) {
    create(client, name);
    String now = Instant.now().toString();
    retryOnConflict(
        () ->
            client
                .nodes()
                .withName(name)
                .editStatus(
                    node ->
                        new NodeBuilder(node)
                            .editOrNewStatus()
                            .withConditions(
                                new NodeConditionBuilder()
                                    .withType("Ready")
                                    .withStatus("True")
                                    .withReason("KubeletReady")
                                    .withMessage("fake node of the gpudra e2e tests")
                                    .withLastHeartbeatTime(now)
                                    .withLastTransitionTime(now)
                                    .build())
                            .withCapacity(CAPACITY)
                            .withAllocatable(CAPACITY)
                            .endStatus()
                            .build()));
    // Admission taints new nodes not-ready until a kubelet reports; no kubelet will, so drop it.
    return retryOnConflict(
        () ->
            client
                .nodes()
                .withName(name)
                .edit(
                    node -> {
                      List<Taint> taints =
                          node.getSpec().getTaints() == null
                              ? List.of()
                              : node.getSpec().getTaints().stream()
                                  .filter(t -> !t.getKey().startsWith("node.kubernetes.io/"))
                                  .toList();
                      return new NodeBuilder(node).editSpec().withTaints(taints).endSpec().build();
                    }));
  }

  /**
   * Runs a read-modify-write of the Node again when it lost a race: controllers (taints, IPAM)
   * update a new Node right after it is created, and each edit re-reads the latest version.
   */
  private static Node retryOnConflict(Supplier<Node> edit) {
    for (int attempt = 1; ; attempt++) {
      try {
        return edit.get();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == MAX_ATTEMPTS) {
          throw e;
        }
      }
    }
  }
}
