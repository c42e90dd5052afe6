package dev.gpudra.e2e.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.names.DriverNames;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.cluster.Poll;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.examples.PodClaims;
import dev.gpudra.e2e.junit.RealNodeScenario;
import dev.gpudra.e2e.nodes.TestPods;
import dev.gpudra.e2e.realnode.PrintingWorkload.DeviceNode;
import dev.gpudra.testkit.node.MockTools;
import dev.gpudra.testkit.nvml.MockNvml;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code examples/mps-shared} on a real node with one 80Gi A100 and the chart's fractional GPUs on:
 * two Deployments in two namespaces, each with a claim for a share of a GPU with limits of its own
 * (8Gi and 20%, 24Gi and 50%), land on the one GPU; both containers see the same device node, get
 * {@code CUDA_MPS_PIPE_DIRECTORY} and their own limits, and have the GPU's MPS pipe directory
 * mounted, in which they connect to the daemon (the mock daemon reads its control pipe and records
 * each client with the limits from its environment). The mock {@code nvidia-cuda-mps-control} on
 * the node records one daemon for the GPU, started once, in compute mode {@code EXCLUSIVE_PROCESS};
 * once both Deployments are gone the daemon has quit and the mode is {@code DEFAULT} again.
 */
class RealNodeMpsSharedIT {

  private static final String AGENTS = "mps-agents";
  private static final String INFERENCE = "mps-inference";
  private static final String NODE = "mps-a100-1x";
  private static final String PROFILE = "a100-1x";
  private static final String EXAMPLE = "mps-shared";
  private static final Duration TIMEOUT = Duration.ofMinutes(4);
  private static final Pattern GPU_NODE = Pattern.compile("/dev/nvidia\\d+");
  private static final String PIPE = "/tmp/nvidia-mps";
  // The chart runs daemons as pods: the control program in the foreground.
  private static final String START = "nvidia-cuda-mps-control -f ";

  @RegisterExtension
  static final RealNodeScenario scenario =
      RealNodeScenario.withNode(NODE, PROFILE).withDriver("kubeletPlugin.fractionalGpus=true");

  @Test
  void twoNamespacesShareOneGpuThroughOneMpsDaemonEachWithItsOwnLimits(
      KubernetesClient client, RealNodes nodes) throws IOException {
    String uuid = MockNvml.load(PROFILE).gpus().getFirst().uuid();
    Path tools = toolsState(nodes.node(NODE));
    try {
      ExampleManifests.apply(
          client,
          AGENTS,
          EXAMPLE,
          PrintingWorkload::adapt,
          "namespaces.yaml",
          "agents.yaml",
          "inference.yaml");
      Pod agent = runningAndPrinted(client, AGENTS, "mps-agent");
      Pod server = runningAndPrinted(client, INFERENCE, "mps-server");

      Map<Pod, List<String>> expected =
          Map.of(
              agent,
              List.of(
                  "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=20",
                  "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=" + uuid + "=8192M"),
              server,
              List.of(
                  "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=50",
                  "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=" + uuid + "=24576M"));
      for (Map.Entry<Pod, List<String>> e : expected.entrySet()) {
        Pod pod = e.getKey();
        String name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        DeviceRequestAllocationResult result =
            PodClaims.results(TestPods.onlyClaim(client, pod)).stream()
                .filter(r -> DriverNames.DRIVER.equals(r.getDriver()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(name + " has no gpudra device"));
        String log =
            client
                .pods()
                .inNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName())
                .getLog();
        List<DeviceNode> gpus =
            PrintingWorkload.devices(log).stream()
                .filter(d -> GPU_NODE.matcher(d.path()).matches())
                .toList();
        List<String> mps =
            PrintingWorkload.environment(log).stream()
                .filter(line -> line.startsWith("CUDA_MPS_"))
                .toList();
        List<String> mounts = PrintingWorkload.mounts(log);
        System.out.printf(
            "[e2e] %s: %s share %s sees %s%n[e2e]   env %s%n[e2e]   mounts %s%n",
            name, result.getDevice(), result.getShareID(), gpus, mps, mounts);
        assertThat(gpus).as("GPU device nodes of " + name).containsExactly(gpuNode(0));
        assertThat(mps)
            .as("MPS environment of " + name)
            .contains("CUDA_MPS_PIPE_DIRECTORY=" + PIPE)
            .containsAll(e.getValue());
        assertThat(mounts)
            .as("the GPU's pipe directory mounted in " + name + ", with the daemon's files in it")
            .anyMatch(line -> line.contains(" " + PIPE + " "))
            .anyMatch(line -> line.startsWith("p") && line.endsWith(" control"))
            .anyMatch(line -> line.endsWith(" nvidia-cuda-mps-control.pid"));
      }

      // Both containers connect through the pipe; the one daemon of the GPU records them.
      MockTools.State shared =
          Poll.until(
              "both containers recorded as clients of the daemon of " + uuid,
              TIMEOUT,
              Duration.ofMillis(500),
              () -> MockTools.read(tools),
              s -> s.mps().containsKey(uuid) && s.mps().get(uuid).clients() >= 2);
      List<String> log = MockTools.log(tools);
      System.out.printf("[e2e] the driver's tools on %s recorded: %s%n", NODE, log);
      assertThat(shared.mps()).as("MPS daemons on " + NODE).containsOnlyKeys(uuid);
      assertThat(shared.mps().get(uuid).clients()).isEqualTo(2);
      assertThat(shared.computeMode(uuid)).isEqualTo("EXCLUSIVE_PROCESS");
      assertThat(log.stream().filter(l -> l.equals(START + uuid)))
          .as("one daemon started for both claims")
          .hasSize(1);
      assertThat(log)
          .contains(
              "nvidia-cuda-mps-control client "
                  + uuid
                  + " uid=0 active_thread_percentage=20 pinned_mem_limit="
                  + uuid
                  + "=8192M",
              "nvidia-cuda-mps-control client "
                  + uuid
                  + " uid=0 active_thread_percentage=50 pinned_mem_limit="
                  + uuid
                  + "=24576M");

      Pod daemonPod = daemonPod(client);
      System.out.printf(
          "[e2e] MPS daemon of %s runs in pod %s/%s (uid %s) on %s%n",
          uuid,
          daemonPod.getMetadata().getNamespace(),
          daemonPod.getMetadata().getName(),
          daemonPod.getMetadata().getUid(),
          daemonPod.getSpec().getNodeName());
      assertThat(daemonPod.getSpec().getNodeName()).isEqualTo(NODE);
      // The plugin's priority class, admitted by the real API server, which resolves its value.
      assertThat(daemonPod.getSpec().getPriorityClassName()).isEqualTo("system-node-critical");
      assertThat(daemonPod.getSpec().getPriority()).isEqualTo(2000001000);

      restartPlugin(client, scenario.release(), nodes.node(NODE));
      Pod adopted = daemonPod(client);
      List<String> afterRestart = MockTools.log(tools);
      System.out.printf(
          "[e2e] after the plugin's restart: daemon pod uid %s; the tools recorded %s%n",
          adopted.getMetadata().getUid(), afterRestart);
      assertThat(adopted.getMetadata().getUid())
          .as("the daemon's pod survives the plugin's restart")
          .isEqualTo(daemonPod.getMetadata().getUid());
      assertThat(afterRestart.stream().filter(l -> l.equals(START + uuid)))
          .as("no second daemon start after the plugin's restart")
          .hasSize(1);
      assertThat(afterRestart)
          .as("no quit after the plugin's restart")
          .doesNotContain("nvidia-cuda-mps-control quit " + uuid);
      assertThat(MockTools.read(tools).mps().get(uuid).running()).isTrue();

      // A claim prepared by the new plugin joins the adopted daemon.
      client.apps().deployments().inNamespace(AGENTS).withName("agents").scale(2);
      Pod third =
          Poll.until(
                  "a second agent running and printed",
                  TIMEOUT,
                  Duration.ofSeconds(1),
                  () ->
                      client
                          .pods()
                          .inNamespace(AGENTS)
                          .withLabel("app", "mps-agent")
                          .list()
                          .getItems()
                          .stream()
                          .filter(
                              p -> !p.getMetadata().getUid().equals(agent.getMetadata().getUid()))
                          .toList(),
                  list -> list.size() == 1 && PrintingWorkload.printed(client, list.getFirst()))
              .getFirst();
      String thirdLog =
          client.pods().inNamespace(AGENTS).withName(third.getMetadata().getName()).getLog();
      List<String> thirdMps =
          PrintingWorkload.environment(thirdLog).stream()
              .filter(line -> line.startsWith("CUDA_MPS_"))
              .toList();
      List<String> thirdMounts = PrintingWorkload.mounts(thirdLog);
      System.out.printf(
          "[e2e] %s/%s (prepared by the new plugin)%n[e2e]   env %s%n[e2e]   mounts %s%n",
          AGENTS, third.getMetadata().getName(), thirdMps, thirdMounts);
      assertThat(thirdMps)
          .contains(
              "CUDA_MPS_PIPE_DIRECTORY=" + PIPE,
              "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=20",
              "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=" + uuid + "=8192M");
      assertThat(thirdMounts)
          .anyMatch(line -> line.contains(" " + PIPE + " "))
          .anyMatch(line -> line.startsWith("p") && line.endsWith(" control"));
      MockTools.State three =
          Poll.until(
              "the third container recorded as a client of the same daemon",
              TIMEOUT,
              Duration.ofMillis(500),
              () -> MockTools.read(tools),
              st -> st.mps().containsKey(uuid) && st.mps().get(uuid).clients() >= 3);
      assertThat(three.mps().get(uuid).clients()).isEqualTo(3);
      assertThat(MockTools.log(tools).stream().filter(l -> l.equals(START + uuid))).hasSize(1);
      assertThat(daemonPod(client).getMetadata().getUid())
          .isEqualTo(daemonPod.getMetadata().getUid());

      client.apps().deployments().inNamespace(AGENTS).withName("agents").delete();
      client.apps().deployments().inNamespace(INFERENCE).withName("server").delete();
      MockTools.State after =
          Poll.until(
              "the daemon of " + uuid + " stopped after both Deployments are gone",
              TIMEOUT,
              Duration.ofMillis(500),
              () -> MockTools.read(tools),
              s -> !s.mps().containsKey(uuid) && "DEFAULT".equals(s.computeMode(uuid)));
      System.out.printf(
          "[e2e] after both Deployments are gone the tools on %s recorded: %s%n",
          NODE, MockTools.log(tools));
      assertThat(after.mps()).isEmpty();
      Poll.until(
          "the daemon's pod gone",
          TIMEOUT,
          Duration.ofMillis(500),
          () -> daemonPods(client),
          List::isEmpty);
      System.out.printf(
          "[e2e] the daemon's pod is gone; compute mode %s%n", after.computeMode(uuid));
      assertThat(MockTools.log(tools))
          .containsSubsequence(
              "nvidia-smi -i " + uuid + " -c EXCLUSIVE_PROCESS",
              START + uuid,
              "nvidia-cuda-mps-control quit " + uuid,
              "nvidia-smi -i " + uuid + " -c DEFAULT");
    } finally {
      Namespaces.deleteAndAwaitGone(client, AGENTS, TIMEOUT);
      Namespaces.deleteAndAwaitGone(client, INFERENCE, TIMEOUT);
    }
  }

  private static DeviceNode gpuNode(int minor) {
    return new DeviceNode("/dev/nvidia" + minor, 195, minor);
  }

  private static Pod runningAndPrinted(KubernetesClient client, String namespace, String app) {
    return Poll.until(
            "pod of " + namespace + "/" + app + " running and printed",
            TIMEOUT,
            Duration.ofSeconds(1),
            () -> client.pods().inNamespace(namespace).withLabel("app", app).list().getItems(),
            list -> list.size() == 1 && PrintingWorkload.printed(client, list.getFirst()))
        .getFirst();
  }

  private static List<Pod> daemonPods(KubernetesClient client) {
    return client
        .pods()
        .inNamespace(DriverRelease.NAMESPACE)
        .withLabel("app.kubernetes.io/component", "mps-control-daemon")
        .list()
        .getItems();
  }

  private static Pod daemonPod(KubernetesClient client) {
    List<Pod> pods = daemonPods(client);
    assertThat(pods).as("MPS daemon pods").hasSize(1);
    assertThat(pods.getFirst().getStatus().getPhase()).isEqualTo("Running");
    return pods.getFirst();
  }

  /**
   * Deletes the plugin's pod on {@code node} and waits until the DaemonSet's new pod is ready and
   * registered again with the node's kubelet.
   */
  private static void restartPlugin(KubernetesClient client, DriverRelease release, RealNode node) {
    Pod old =
        release.pods("kubelet-plugin").stream()
            .filter(p -> node.name().equals(p.getSpec().getNodeName()))
            .findFirst()
            .orElseThrow();
    int registrations = DriverRelease.registrationLines(node.kubeletLog()).size();
    client.pods().inNamespace(DriverRelease.NAMESPACE).resource(old).delete();
    Poll.until(
        "a new plugin pod ready on " + node.name(),
        TIMEOUT,
        Duration.ofMillis(500),
        () ->
            release.pods("kubelet-plugin").stream()
                .filter(p -> node.name().equals(p.getSpec().getNodeName()))
                .filter(p -> !p.getMetadata().getUid().equals(old.getMetadata().getUid()))
                .filter(
                    p ->
                        p.getStatus() != null
                            && p.getStatus().getContainerStatuses() != null
                            && !p.getStatus().getContainerStatuses().isEmpty()
                            && p.getStatus().getContainerStatuses().stream()
                                .allMatch(c -> Boolean.TRUE.equals(c.getReady())))
                .toList(),
        pods -> !pods.isEmpty());
    Poll.until(
        "kubelet of " + node.name() + " registered the new plugin",
        TIMEOUT,
        Duration.ofMillis(500),
        () -> DriverRelease.registrationLines(node.kubeletLog()).size(),
        n -> n > registrations);
    System.out.printf(
        "[e2e] plugin pod %s deleted; the DaemonSet's new pod is ready and registered%n",
        old.getMetadata().getName());
  }

  /** The mock driver tools' state on the node: beside the plugin's mock NVML state. */
  private static Path toolsState(RealNode node) {
    Path nvml = node.mockNvmlStateFile();
    return nvml.resolveSibling(nvml.getFileName() + ".tools");
  }
}
