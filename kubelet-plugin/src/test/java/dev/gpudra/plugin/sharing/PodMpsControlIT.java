package dev.gpudra.plugin.sharing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.cdi.io.DriverRootDiscovery;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.MpsRecord;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.MockTools;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MPS control daemons as pods ({@link PodMpsControl}) against the fabric8 mock API server, with a
 * stand-in kubelet ({@link DaemonPodRunner}) that runs each daemon pod's container, the mock {@code
 * nvidia-cuda-mps-control -f}, as a host process: the daemon is reached through its pipe directory
 * alone, a second control (a restarted plugin) adopts the running pod untouched, a pod whose daemon
 * died is replaced, stop quits the daemon, deletes the pod and restores the GPU, and start-up
 * recovery adopts the pods that recorded claims need and deletes the others.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class PodMpsControlIT {

  private static final String NAMESPACE = "gpudra-system";
  private static final String NODE = "node-mps-pods";

  static KubernetesClient client;
  static KubernetesMockServer server;

  @TempDir Path root;
  private FakeNode node;
  private String gpu;
  private String otherGpu;
  private DaemonPodRunner kubelet;

  @BeforeEach
  void node() throws IOException {
    node = FakeNode.create(root, NODE, "a100-8x");
    pointToolsAtTheNodesState();
    gpu = node.gpuUuids().get(0);
    otherGpu = node.gpuUuids().get(1);
    kubelet = new DaemonPodRunner(client, NAMESPACE);
  }

  @AfterEach
  void cleanUp() {
    kubelet.close();
    MockTools.killDaemons(node.toolStateFile());
    client.pods().inNamespace(NAMESPACE).delete();
  }

  /**
   * The plugin process has the node's mock state in its environment; this test's JVM does not, so
   * each mock tool in the driver root becomes a wrapper that sets it and runs the tool.
   */
  private void pointToolsAtTheNodesState() throws IOException {
    Path bin = node.driverRoot().resolve(MockTools.BIN_DIR);
    for (String name : MockTools.NAMES) {
      Path tool = bin.resolve(name);
      Path mock = bin.resolve(name + ".mock");
      Files.move(tool, mock);
      Files.writeString(
          tool,
          "#!/bin/sh\n"
              + MockTools.STATE_ENV
              + "='"
              + node.toolStateFile()
              + "' exec '"
              + mock
              + "' \"$@\"\n");
      Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  private PodMpsControl control() {
    return control(PodMpsControl.RUNNING_LIST_REUSE);
  }

  private PodMpsControl control(Duration runningListReuse) {
    DriverTools tools =
        new DriverTools(
            node.driverRoot(), DriverRootDiscovery.DEFAULT_LIBRARY_DIRS, Duration.ofSeconds(30));
    MpsDaemonPods pods =
        new MpsDaemonPods(
            NAMESPACE,
            NODE,
            "gpudra:test",
            node.driverRoot(),
            node.driverRoot().toString(),
            Map.of(MockTools.STATE_ENV, node.toolStateFile().toString()),
            List.of(node.root().toString()),
            Optional.empty());
    return new PodMpsControl(
        client,
        pods,
        new MpsGpuSetup(tools, new MpsDirectories(node.pluginDir().resolve("mps"))),
        Duration.ofSeconds(30),
        Duration.ofSeconds(30),
        runningListReuse);
  }

  private List<Pod> daemonPods() {
    return client.pods().inNamespace(NAMESPACE).list().getItems();
  }

  private long starts(String uuid) {
    return MockTools.log(node.toolStateFile()).stream()
        .filter(l -> l.equals("nvidia-cuda-mps-control -f " + uuid))
        .count();
  }

  @Test
  void startsOneDaemonPodOnItsNodeThatARestartedPluginAdoptsUntouched() throws Exception {
    PodMpsControl first = control();

    assertThat(first.ensure(new MpsRecord(gpu, 40, 8192L))).isTrue();

    Pod pod = daemonPods().getFirst();
    assertThat(daemonPods()).hasSize(1);
    assertThat(pod.getSpec().getNodeName()).isEqualTo(NODE);
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/component", "mps-control-daemon")
        .containsEntry(MpsDaemonPods.GPU_LABEL, gpu)
        .containsEntry(MpsDaemonPods.NODE_LABEL, NODE);
    assertThat(pod.getSpec().getHostPID()).isTrue();
    assertThat(pod.getSpec().getHostIPC()).isTrue();
    Container container = pod.getSpec().getContainers().getFirst();
    assertThat(container.getSecurityContext().getPrivileged()).isTrue();
    assertThat(container.getImage()).isEqualTo("gpudra:test");
    assertThat(container.getCommand())
        .containsExactly(
            node.driverRoot().resolve("usr/bin/nvidia-cuda-mps-control").toString(), "-f");
    assertThat(container.getEnv())
        .anyMatch(e -> e.getName().equals("CUDA_VISIBLE_DEVICES") && e.getValue().equals(gpu));
    MockTools.State state = MockTools.read(node.toolStateFile());
    assertThat(state.runningDaemons()).containsOnlyKeys(gpu);
    assertThat(state.mps().get(gpu).defaultActiveThreadPercentage()).isEqualTo(40);
    assertThat(state.mps().get(gpu).defaultPinnedMemoryLimit()).isEqualTo(gpu + "=8192M");
    assertThat(state.computeMode(gpu)).isEqualTo("EXCLUSIVE_PROCESS");
    assertThat(starts(gpu)).isEqualTo(1);

    // A new plugin process: it finds the pod running and the daemon answering.
    PodMpsControl restarted = control();
    assertThat(restarted.running(gpu)).isTrue();
    assertThat(restarted.present()).containsExactly(gpu);
    assertThat(restarted.ensure(new MpsRecord(gpu, 40, 8192L))).isFalse();
    assertThat(daemonPods())
        .extracting(p -> p.getMetadata().getUid())
        .containsExactly(pod.getMetadata().getUid());
    assertThat(starts(gpu)).isEqualTo(1);
    assertThat(restarted.starts(gpu)).isZero();
    assertThat(MockTools.log(node.toolStateFile()))
        .doesNotContain("nvidia-cuda-mps-control quit " + gpu);

    restarted.stop(gpu);

    assertThat(daemonPods()).isEmpty();
    assertThat(restarted.running(gpu)).isFalse();
    assertThat(restarted.present()).isEmpty();
    MockTools.State after = MockTools.read(node.toolStateFile());
    assertThat(after.mps()).isEmpty();
    assertThat(after.computeMode(gpu)).isEqualTo("DEFAULT");
    assertThat(node.pluginDir().resolve("mps").resolve(gpu)).doesNotExist();
    assertThat(MockTools.log(node.toolStateFile()))
        .containsSubsequence(
            "nvidia-smi -i " + gpu + " -c EXCLUSIVE_PROCESS",
            "nvidia-cuda-mps-control -f " + gpu,
            "nvidia-cuda-mps-control quit " + gpu,
            "nvidia-smi -i " + gpu + " -c DEFAULT");
  }

  @Test
  void eachGpuGetsAPodOfItsOwnAndOnlyThatGpusIsStopped() throws Exception {
    PodMpsControl control = control();

    control.ensure(new MpsRecord(gpu, null, null));
    control.ensure(new MpsRecord(otherGpu, 50, null));
    control.stop(gpu);

    assertThat(daemonPods())
        .extracting(p -> p.getMetadata().getAnnotations().get(MpsDaemonPods.GPU_ANNOTATION))
        .containsExactly(otherGpu);
    assertThat(MockTools.read(node.toolStateFile()).runningDaemons()).containsOnlyKeys(otherGpu);
    assertThat(control.running(otherGpu)).isTrue();
    assertThat(control.running(gpu)).isFalse();
  }

  @Test
  void aMetricsScrapeOverEveryGpuListsTheDaemonPodsOnceAndSeesANewDaemonAtOnce() throws Exception {
    // A list is reused for an hour here, so that only ensure and stop can make it stale.
    PodMpsControl control = control(Duration.ofHours(1));
    String third = node.gpuUuids().get(2);
    control.ensure(new MpsRecord(gpu, null, null));
    control.ensure(new MpsRecord(otherGpu, null, null));
    nodePodLists();

    // What the running gauges of all eight GPUs ask in one scrape.
    for (String uuid : node.gpuUuids().values()) {
      assertThat(control.running(uuid)).isEqualTo(uuid.equals(gpu) || uuid.equals(otherGpu));
    }
    assertThat(nodePodLists()).as("lists of this node's daemon pods in one scrape").isEqualTo(1);

    // The list above holds no pod for the third GPU: a daemon started since shows at once, and
    // one stopped since is gone at once.
    control.ensure(new MpsRecord(third, null, null));
    assertThat(control.running(third)).isTrue();
    control.stop(otherGpu);
    assertThat(control.running(otherGpu)).isFalse();
    assertThat(control.running(gpu)).isTrue();
  }

  /**
   * The plugin's lists of its node's daemon pods (with a label selector; the fake kubelet lists
   * without one) that reached the mock server since the last call.
   */
  private static int nodePodLists() throws InterruptedException {
    int lists = 0;
    RecordedRequest request;
    while ((request = server.takeRequest(20, TimeUnit.MILLISECONDS)) != null) {
      String path = request.getPath();
      if ("GET".equals(request.getMethod())
          && path.contains("/pods?")
          && path.contains("labelSelector")
          && !path.contains("watch")) {
        lists++;
      }
    }
    return lists;
  }

  @Test
  void aPodWhoseDaemonDiedIsReplacedByANewOne() throws Exception {
    PodMpsControl control = control();
    control.ensure(new MpsRecord(gpu, null, null));
    Pod pod = daemonPods().getFirst();

    // The daemon dies; the API still shows its pod Running (the kubelet has not noticed yet).
    kubelet.process(pod.getMetadata().getUid()).destroyForcibly().waitFor();

    assertThat(control.ensure(new MpsRecord(gpu, null, null))).isTrue();
    assertThat(daemonPods())
        .extracting(p -> p.getMetadata().getUid())
        .doesNotContain(pod.getMetadata().getUid())
        .hasSize(1);
    assertThat(starts(gpu)).isEqualTo(2);
    assertThat(control.running(gpu)).isTrue();
    assertThat(Files.exists(node.pluginDir().resolve("mps").resolve(gpu))).isTrue();
  }

  @Test
  void startUpRecoveryAdoptsThePodsClaimsNeedAndDeletesTheOthers() throws Exception {
    PodMpsControl before = control();
    before.ensure(new MpsRecord(gpu, 40, null));
    before.ensure(new MpsRecord(otherGpu, null, null));
    String kept =
        daemonPods().stream()
            .filter(
                p -> gpu.equals(p.getMetadata().getAnnotations().get(MpsDaemonPods.GPU_ANNOTATION)))
            .findFirst()
            .orElseThrow()
            .getMetadata()
            .getUid();
    CheckpointedDevice device =
        new CheckpointedDevice(
            List.of("gpu"),
            "node",
            "gpu-0",
            List.of("k8s.gpu.gpudra.dev/claim=c-gpu-0"),
            false,
            "MPS",
            null,
            null,
            null,
            new MpsRecord(gpu, 40, null));
    Checkpoint checkpoint =
        Checkpoint.empty("boot")
            .with(new PreparedClaim("c", "ns", "c", ClaimState.PREPARE_COMPLETED, List.of(device)));
    List<String> steps = new java.util.ArrayList<>();

    // A restarted plugin: the claim on gpu is recorded, none on otherGpu.
    MpsRecovery.recover(checkpoint, Set.of(), control(), steps::add);

    assertThat(daemonPods())
        .extracting(p -> p.getMetadata().getUid())
        .as("the recorded GPU's pod, untouched")
        .containsExactly(kept);
    assertThat(steps).containsExactly("recovery:mps-daemon-stopped");
    MockTools.State state = MockTools.read(node.toolStateFile());
    assertThat(state.runningDaemons()).containsOnlyKeys(gpu);
    assertThat(state.computeMode(otherGpu)).isEqualTo("DEFAULT");
    assertThat(state.computeMode(gpu)).isEqualTo("EXCLUSIVE_PROCESS");
    assertThat(starts(gpu)).isEqualTo(1);
  }
}
