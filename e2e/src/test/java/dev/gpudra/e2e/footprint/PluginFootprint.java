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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One run of the kubelet plugin on a fake 8x A100 node (mock NVML) of the real control plane: the
 * plugin's JVM is launched with the given options on the image's runtime and jars ({@link
 * ShippedImage}), publishes its slices and registers with the emulated kubelet; then {@code claims}
 * pods, each with a one-GPU claim, are scheduled to it and prepared. A measured run then reads its
 * resident memory, heap and CPU after {@code steady} of quiet; a training run stops it with
 * SIGTERM, as the kubelet's pod deletion does, so that it writes its AOT cache.
 */
final class PluginFootprint {

  private static final Duration POD_TIMEOUT = Duration.ofMinutes(2);
  // Writing the cache starts a second JVM that links every recorded class: minutes on a busy host.
  private static final Duration TRAINING_EXIT = Duration.ofMinutes(5);

  private PluginFootprint() {}

  /**
   * Measures one plugin; {@link JvmFootprint#time()} is from launch to registered.
   *
   * @param name node name, also the namespace of its pods
   */
  static JvmFootprint measure(
      ControlPlane plane,
      ShippedImage shipped,
      String name,
      List<String> jvmOptions,
      int claims,
      Duration steady)
      throws IOException, InterruptedException {
    try (FakeGpuNode node = startWithPods(plane, shipped, name, jvmOptions, claims)) {
      Thread.sleep(steady.toMillis());
      // The pods stay: with the node gone they no longer matter to the next run's node.
      return JvmFootprint.of(node.pluginPid(), node.startToRegistered());
    }
  }

  /**
   * Runs one plugin with {@code jvmOptions} plus {@code -XX:AOTCacheOutput=cache} through start,
   * registration and {@code claims} prepares, stops it with SIGTERM and waits until its JVM has
   * written {@code cache}.
   */
  static void train(
      ControlPlane plane,
      ShippedImage shipped,
      String name,
      List<String> jvmOptions,
      int claims,
      Path cache)
      throws IOException, InterruptedException {
    try (FakeGpuNode node =
        startWithPods(plane, shipped, name, ChartJvmOptions.training(jvmOptions, cache), claims)) {
      ProcessHandle plugin =
          ProcessHandle.of(node.pluginPid())
              .orElseThrow(() -> new IllegalStateException("the training plugin is gone"));
      plugin.destroy();
      try {
        plugin.onExit().get(TRAINING_EXIT.toSeconds(), TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("the training plugin did not exit", e);
      }
    }
    if (!Files.isRegularFile(cache)) {
      throw new IllegalStateException("the training plugin wrote no AOT cache " + cache);
    }
  }

  private static FakeGpuNode startWithPods(
      ControlPlane plane, ShippedImage shipped, String name, List<String> jvmOptions, int claims)
      throws IOException {
    KubernetesClient client = plane.client();
    Namespaces.create(client, name);
    FakeGpuNode node =
        FakeGpuNode.start(
            plane, name, "a100-8x", InPodConnection.env(plane), jvmOptions, shipped::apply);
    try {
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
      return node;
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
  }
}
