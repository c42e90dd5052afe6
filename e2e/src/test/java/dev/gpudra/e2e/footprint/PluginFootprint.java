package dev.gpudra.e2e.footprint;

import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.nodes.FakeGpuNode;
import dev.gpudra.e2e.nodes.TestClaims;
import dev.gpudra.e2e.nodes.TestPods;
import dev.gpudra.e2e.scale.JvmFootprint;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One measured run of the kubelet plugin on a fake 8x A100 node (mock NVML) of the real control
 * plane: the plugin's JVM is launched with the given options, publishes its slices and registers
 * with the emulated kubelet; then {@code claims} pods, each with a one-GPU claim, are scheduled to
 * it and prepared; after {@code steady} of quiet its resident memory, heap and CPU are read.
 */
final class PluginFootprint {

  private static final Duration POD_TIMEOUT = Duration.ofMinutes(2);

  private PluginFootprint() {}

  /**
   * Measures one plugin; {@link JvmFootprint#time()} is from launch to registered.
   *
   * @param name node name, also the namespace of its pods
   */
  static JvmFootprint measure(
      ControlPlane plane, String name, List<String> jvmOptions, int claims, Duration steady)
      throws IOException, InterruptedException {
    KubernetesClient client = plane.client();
    Namespaces.create(client, name);
    try (FakeGpuNode node = FakeGpuNode.start(plane, name, "a100-8x", Map.of(), jvmOptions)) {
      Duration registered = node.startToRegistered();
      for (int i = 0; i < claims; i++) {
        String pod = "pod-" + i;
        client
            .resource(
                TestClaims.exactly("claim-" + i, "gpu", "gpu.gpudra.dev", Optional.empty(), 1))
            .inNamespace(name)
            .create();
        client
            .resource(TestPods.usingClaim(pod, "gpu", "claim-" + i, Optional.of(name)))
            .inNamespace(name)
            .create();
      }
      for (int i = 0; i < claims; i++) {
        Pod pod = TestPods.awaitRunning(client, name, "pod-" + i, POD_TIMEOUT, List.of(node));
        if (!"Running".equals(pod.getStatus().getPhase())) {
          throw new IllegalStateException("pod-" + i + " did not run: " + node.agent().problems());
        }
      }
      Thread.sleep(steady.toMillis());
      // The pods stay: with the node gone they no longer matter to the next run's node.
      return JvmFootprint.of(node.pluginPid(), registered);
    }
  }
}
