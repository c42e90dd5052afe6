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
import dev.gpudra.testkit.nvml.MockNvml;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code examples/agents-fractional} on a real node with one 80Gi A100 and the chart's fractional
 * GPUs on: the Deployment's ten agents each get a claim of their own for 8Gi and 10% of a GPU, the
 * stock scheduler puts all ten shares on the one GPU, and each container receives that GPU's device
 * node and its own MPS limits in its environment. The eleventh agent arrives when the GPU's memory
 * and cores are all held: it stays Pending, and the controller's {@code ClaimPending} Event names
 * the capacity that ran out. The plugin's metrics count the ten claims on the GPU, its 80Gi and
 * 100% allocated to shares, and the Deployment holding them.
 */
class RealNodeAgentsFractionalIT {

  private static final String NAMESPACE = "real-agents-fractional";
  private static final String NODE = "agents-a100-1x";
  private static final String PROFILE = "a100-1x";
  private static final String EXAMPLE = "agents-fractional";
  private static final Duration TIMEOUT = Duration.ofMinutes(4);
  private static final int AGENTS = 10;
  private static final int NVIDIA_MAJOR = 195;
  private static final Pattern GPU_NODE = Pattern.compile("/dev/nvidia\\d+");
  private static final long GIB = 1L << 30;
  private static final int METRICS_PORT = 8080;
  private static final Pattern SHARING_SERIES =
      Pattern.compile("^(gpudra_(?:gpu|workload)_\\S+)\\s+(\\S+)$");
  private static final Pattern CAPACITY_RAN_OUT =
      Pattern.compile("have 0 of \\S+ (memory|cores) free, the request asks");

  @RegisterExtension
  static final RealNodeScenario scenario =
      RealNodeScenario.withNode(NODE, PROFILE)
          .withDriver("kubeletPlugin.fractionalGpus=true", "controller.explainPendingAfter=PT5S");

  @Test
  void tenAgentsShareOneGpuWithTheirOwnLimitsAndTheEleventhWaitsNamingTheCapacity(
      KubernetesClient client, DriverRelease release) throws IOException {
    String uuid = MockNvml.load(PROFILE).gpus().getFirst().uuid();
    Namespaces.create(client, NAMESPACE);
    try {
      ExampleManifests.apply(
          client,
          NAMESPACE,
          EXAMPLE,
          PrintingWorkload::adapt,
          "claim-template.yaml",
          "agents.yaml");
      List<Pod> agents =
          Poll.until(
              AGENTS + " agents running and printed",
              TIMEOUT,
              Duration.ofSeconds(1),
              () ->
                  client.pods().inNamespace(NAMESPACE).withLabel("app", "agent").list().getItems(),
              list ->
                  list.size() == AGENTS
                      && list.stream().allMatch(p -> PrintingWorkload.printed(client, p)));

      Set<String> devices = new HashSet<>();
      Set<String> shares = new HashSet<>();
      Set<DeviceNode> gpuNodes = new HashSet<>();
      for (Pod agent : agents) {
        String name = agent.getMetadata().getName();
        DeviceRequestAllocationResult result =
            PodClaims.results(TestPods.onlyClaim(client, agent)).stream()
                .filter(r -> DriverNames.DRIVER.equals(r.getDriver()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(name + " has no gpudra device"));
        devices.add(result.getDevice());
        shares.add(result.getShareID());
        String log = client.pods().inNamespace(NAMESPACE).withName(name).getLog();
        List<DeviceNode> gpus =
            PrintingWorkload.devices(log).stream()
                .filter(d -> GPU_NODE.matcher(d.path()).matches())
                .toList();
        List<String> limits =
            PrintingWorkload.environment(log).stream()
                .filter(line -> line.startsWith("CUDA_MPS_"))
                .toList();
        System.out.printf(
            "[e2e] %s: %s share %s sees %s with %s%n",
            name, result.getDevice(), result.getShareID(), gpus, limits);
        assertThat(gpus).as("GPU device nodes of " + name).hasSize(1);
        assertThat(gpus.getFirst().major()).isEqualTo(NVIDIA_MAJOR);
        gpuNodes.add(gpus.getFirst());
        assertThat(limits)
            .as("MPS limits of " + name)
            .contains(
                "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=10",
                "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=" + uuid + "=8192M");
      }
      assertThat(devices).as("devices of the ten agents' claims").hasSize(1);
      assertThat(gpuNodes).as("device nodes the ten agents see").hasSize(1);
      assertThat(shares).as("share IDs of the ten claims").hasSize(AGENTS).doesNotContainNull();

      // The plugin's sharing metrics, as Prometheus scrapes them from its pod.
      Map<String, Double> sharing =
          Poll.until(
              "the plugin's sharing metrics counting ten claims on " + devices.iterator().next(),
              TIMEOUT,
              Duration.ofSeconds(1),
              () -> sharingMetrics(release),
              m -> m.getOrDefault(gpuSeries("gpudra_gpu_claims", devices), 0.0) == AGENTS);
      sharing.forEach(
          (series, value) -> System.out.printf("[e2e] plugin metric %s %s%n", series, value));
      assertThat(sharing)
          .containsEntry(gpuSeries("gpudra_gpu_shared_memory_bytes", devices), 80.0 * GIB)
          .containsEntry(gpuSeries("gpudra_gpu_shared_cores_percent", devices), 100.0)
          .containsEntry(
              "gpudra_workload_gpu_memory_bytes{namespace=\""
                  + NAMESPACE
                  + "\",owner_kind=\"Deployment\",owner_name=\"agents\"}",
              80.0 * GIB)
          .containsEntry(
              "gpudra_workload_gpu_cores_percent{namespace=\""
                  + NAMESPACE
                  + "\",owner_kind=\"Deployment\",owner_name=\"agents\"}",
              100.0);

      ExampleManifests.apply(
          client, NAMESPACE, EXAMPLE, PrintingWorkload::adapt, "eleventh-agent.yaml");
      PodCondition unschedulable =
          TestPods.awaitUnschedulable(client, NAMESPACE, "agent-11", TIMEOUT);
      Event pending =
          Poll.until(
                  "a ClaimPending Event on agent-11 naming a capacity",
                  TIMEOUT,
                  Duration.ofMillis(500),
                  () -> claimPending(client),
                  Optional::isPresent)
              .orElseThrow();
      System.out.printf(
          "[e2e] agent-11: %s; ClaimPending on %s %s: %s%n",
          unschedulable.getMessage(),
          pending.getInvolvedObject().getKind(),
          pending.getInvolvedObject().getName(),
          pending.getMessage());
      assertThat(pending.getType()).isEqualTo("Warning");
      assertThat(client.pods().inNamespace(NAMESPACE).withName("agent-11").get().getStatus())
          .satisfies(s -> assertThat(s.getPhase()).isEqualTo("Pending"));
      ResourceClaim eleventh =
          TestPods.onlyClaim(
              client, client.pods().inNamespace(NAMESPACE).withName("agent-11").get());
      assertThat(eleventh.getStatus() == null ? null : eleventh.getStatus().getAllocation())
          .as("allocation of agent-11's claim")
          .isNull();
    } finally {
      Namespaces.deleteAndAwaitGone(client, NAMESPACE, TIMEOUT);
    }
  }

  private static String gpuSeries(String name, Set<String> devices) {
    return name + "{device=\"" + devices.iterator().next() + "\"}";
  }

  /**
   * The sharing series of the node's plugin, read from its pod's metrics port as Prometheus does.
   */
  private static Map<String, Double> sharingMetrics(DriverRelease release) {
    Pod plugin = release.pods("kubelet-plugin").getFirst();
    URI uri =
        URI.create("http://" + plugin.getStatus().getPodIP() + ":" + METRICS_PORT + "/metrics");
    try (HttpClient http = HttpClient.newHttpClient()) {
      String text =
          http.send(
                  HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      Map<String, Double> series = new TreeMap<>();
      for (String line : text.lines().toList()) {
        Matcher m = SHARING_SERIES.matcher(line);
        if (m.matches()) {
          series.put(m.group(1), Double.parseDouble(m.group(2)));
        }
      }
      return series;
    } catch (IOException e) {
      throw new UncheckedIOException("scraping " + uri, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Optional<Event> claimPending(KubernetesClient client) {
    return client.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(e -> "ClaimPending".equals(e.getReason()))
        .filter(e -> e.getMessage() != null && CAPACITY_RAN_OUT.matcher(e.getMessage()).find())
        .findFirst();
  }
}
