package dev.gpudra.e2e.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.names.DriverNames;
import dev.gpudra.e2e.cluster.Poll;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.examples.PodClaims;
import dev.gpudra.e2e.junit.RealNodeScenario;
import dev.gpudra.e2e.realnode.PrintingWorkload.DeviceNode;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The examples of {@code examples/} as real pods on two real fake-GPU nodes (8x A100, 8x H100) with
 * our chart installed by Helm: the kubelet prepares each pod's claims through our plugin's pod, and
 * containerd gives the container the devices of the CDI spec. Each container prints what it sees
 * ({@link PrintingWorkload}); the test reads that through the API and checks it against the claims'
 * allocation: exactly the allocated GPUs' device nodes (major 195, the GPU's minor), the control
 * node, nothing else; and after the pods are gone the real kubelet has unprepared the claims, so
 * their CDI specs are gone from the node.
 */
class RealNodeExamplesIT {

  private static final Duration TIMEOUT = Duration.ofMinutes(3);
  private static final Pattern GPU_MINOR = Pattern.compile("gpu-(\\d+)(-mig-.*)?");
  private static final Pattern GPU_NODE = Pattern.compile("/dev/nvidia(\\d+)");
  private static final int NVIDIA_MAJOR = 195;

  @RegisterExtension
  static final RealNodeScenario scenario =
      RealNodeScenario.withNode("gpu-a100-8x", "a100-8x")
          .andNode("gpu-h100-8x", "h100-8x")
          .withDriver();

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "one-gpu, claim-template.yaml, pod.yaml",
    "shared-claim, claim.yaml, pods.yaml",
    "gpu-40gi, claim-template.yaml, pod.yaml",
    "h100-else-a100, claim-template.yaml, pod.yaml",
    "two-gpus-same-pcie-root, claim-template.yaml, pod.yaml",
    "mig-1g10gb, claim-template.yaml, pod.yaml",
  })
  void containersSeeExactlyTheirAllocatedGpus(
      String example, String first, String second, KubernetesClient client, RealNodes nodes) {
    String ns = "real-" + example;
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    try {
      ExampleManifests.apply(client, ns, example, PrintingWorkload::adapt, first, second);
      List<Pod> pods =
          Poll.until(
              example + " pods running and printed",
              TIMEOUT,
              Duration.ofSeconds(1),
              () -> client.pods().inNamespace(ns).list().getItems(),
              list ->
                  !list.isEmpty()
                      && list.stream().allMatch(p -> PrintingWorkload.printed(client, p)));
      Map<String, Set<String>> gpuPathsByPod = new LinkedHashMap<>();
      Map<String, String> specs = new LinkedHashMap<>(); // claim UID -> node
      for (Pod pod : pods) {
        String name = pod.getMetadata().getName();
        String log = client.pods().inNamespace(ns).withName(name).getLog();
        List<DeviceNode> seen = PrintingWorkload.devices(log);
        Set<Integer> allocated = new TreeSet<>();
        for (ResourceClaim claim : PodClaims.of(client, pod)) {
          specs.put(claim.getMetadata().getUid(), pod.getSpec().getNodeName());
          PodClaims.results(claim).stream()
              .filter(r -> DriverNames.DRIVER.equals(r.getDriver()))
              .forEach(r -> allocated.add(minorOf(r.getDevice())));
        }
        System.out.printf(
            "[e2e] %s: pod %s on %s sees %s%n", example, name, pod.getSpec().getNodeName(), seen);
        Set<Integer> gpuMinors = new TreeSet<>();
        for (DeviceNode device : seen) {
          Matcher gpu = GPU_NODE.matcher(device.path());
          if (gpu.matches()) {
            assertThat(device.major()).as(device.toString()).isEqualTo(NVIDIA_MAJOR);
            assertThat(device.minor())
                .as(device.toString())
                .isEqualTo(Integer.parseInt(gpu.group(1)));
            gpuMinors.add(device.minor());
          }
        }
        assertThat(gpuMinors).as("GPU device nodes of " + name).isEqualTo(allocated);
        assertThat(seen)
            .as("control device of " + name)
            .contains(new DeviceNode("/dev/nvidiactl", NVIDIA_MAJOR, 255));
        gpuPathsByPod.put(
            name,
            seen.stream()
                .map(DeviceNode::path)
                .filter(p -> GPU_NODE.matcher(p).matches())
                .collect(Collectors.toCollection(TreeSet::new)));
      }
      if (pods.size() > 1 && example.equals("shared-claim")) {
        assertThat(new ArrayList<>(gpuPathsByPod.values()).stream().distinct())
            .as("both pods of the shared claim")
            .hasSize(1);
      }
      client.pods().inNamespace(ns).delete();
      Poll.until(
          "pods of " + ns + " gone",
          TIMEOUT,
          Duration.ofMillis(500),
          () -> client.pods().inNamespace(ns).list().getItems(),
          List::isEmpty);
      specs.forEach(
          (uid, node) -> {
            Path spec =
                nodes.node(node).cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + uid + ".json");
            Poll.until(
                "CDI spec " + spec + " removed by unprepare",
                TIMEOUT,
                Duration.ofMillis(500),
                () -> Files.exists(spec),
                exists -> !exists);
          });
    } finally {
      client.namespaces().withName(ns).delete();
      Poll.until(
          "namespace " + ns + " gone",
          TIMEOUT,
          Duration.ofMillis(500),
          () -> client.namespaces().withName(ns).get(),
          n -> n == null);
    }
  }

  private static int minorOf(String device) {
    Matcher m = GPU_MINOR.matcher(device);
    if (!m.matches()) {
      throw new AssertionError("not a device name of ours: " + device);
    }
    return Integer.parseInt(m.group(1));
  }
}
