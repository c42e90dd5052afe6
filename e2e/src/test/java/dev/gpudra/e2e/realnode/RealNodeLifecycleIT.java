package dev.gpudra.e2e.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.names.DriverNames;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Poll;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.examples.PodClaims;
import dev.gpudra.e2e.junit.RealNodeScenario;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The driver's life on a real node while a pod runs on a GPU claim: the plugin's pod deleted (the
 * DaemonSet brings it back, it registers with the kubelet again and prepares new claims) and the
 * node's kubelet restarted (containerd and the containers keep running; the prepared claim is not
 * prepared a second time), and the plugin's DaemonSet rolled by a Helm upgrade (the new pod serves
 * before the old one goes: it is ready only once the kubelet registered it; no prepare fails).
 * Through all of it the running pod keeps its container and its GPU. And a fault: a claim's CDI
 * spec deleted behind the plugin's back fails new containers of the claim in the runtime, with its
 * error in the pod's events, until the plugin restarts: its start-up recovery writes the spec again
 * and a new pod of the claim runs.
 */
class RealNodeLifecycleIT {

  private static final String NODE = "life-a100";
  private static final Duration TIMEOUT = Duration.ofMinutes(4);
  private static final Pattern GPU_MINOR = Pattern.compile("gpu-(\\d+)");
  private static final Pattern GPU_NODE = Pattern.compile("/dev/nvidia(\\d+)");

  @RegisterExtension
  static final RealNodeScenario scenario = RealNodeScenario.withNode(NODE, "a100-8x").withDriver();

  private final List<String> namespaces = new ArrayList<>();

  @AfterEach
  void removeNamespaces(KubernetesClient client) {
    for (String ns : namespaces) {
      client.namespaces().withName(ns).delete();
    }
    for (String ns : namespaces) {
      Poll.until(
          "namespace " + ns + " gone",
          TIMEOUT,
          Duration.ofMillis(500),
          () -> client.namespaces().withName(ns).get(),
          n -> n == null);
    }
  }

  @Test
  void aDeletedPluginPodComesBackRegistersAgainAndPreparesNewClaims(
      KubernetesClient client, RealNodes nodes, DriverRelease release) {
    RealNode node = nodes.node(NODE);
    Pod running = startOneGpuPod(client, "life-plugin-old");
    ContainerStatus before = status(running);
    int registrations = DriverRelease.registrationLines(node.kubeletLog()).size();
    Pod plugin = pluginPod(release);

    client.resource(plugin).delete();

    Pod replaced =
        Poll.until(
            "a new plugin pod ready on " + NODE,
            TIMEOUT,
            Duration.ofSeconds(1),
            () -> pluginPod(release),
            p ->
                p != null
                    && !p.getMetadata().getUid().equals(plugin.getMetadata().getUid())
                    && ready(p));
    Poll.until(
        "kubelet of " + NODE + " registered the new plugin",
        TIMEOUT,
        Duration.ofMillis(500),
        () -> DriverRelease.registrationLines(node.kubeletLog()).size(),
        n -> n > registrations);
    System.out.printf(
        "[e2e] plugin pod %s replaced by %s; kubelet registrations %d -> %d%n",
        plugin.getMetadata().getName(),
        replaced.getMetadata().getName(),
        registrations,
        DriverRelease.registrationLines(node.kubeletLog()).size());

    assertStillRunning(client, running, before);
    Pod next = startOneGpuPod(client, "life-plugin-new");
    assertThat(gpusSeen(client, next)).isEqualTo(gpusAllocated(client, next)).hasSize(1);
  }

  @Test
  void aRestartedKubeletLeavesThePreparedClaimAndItsPodAlone(
      ControlPlane plane, KubernetesClient client, RealNodes nodes, DriverRelease release)
      throws IOException {
    RealNode node = nodes.node(NODE);
    Pod running = startOneGpuPod(client, "life-kubelet-old");
    ContainerStatus before = status(running);
    String uid = PodClaims.of(client, running).get(0).getMetadata().getUid();
    Path spec = node.cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + uid + ".json");
    FileTime written = Files.getLastModifiedTime(spec);
    Pod plugin = pluginPod(release);
    assertThat(prepareLines(client, plugin, uid)).hasSize(1);
    int registrations = DriverRelease.registrationLines(node.kubeletLog()).size();

    node.restartKubelet(plane);

    Poll.until(
        "restarted kubelet of " + NODE + " registered the plugin",
        TIMEOUT,
        Duration.ofMillis(500),
        () -> DriverRelease.registrationLines(node.kubeletLog()).size(),
        n -> n > registrations);
    // A pod started after the restart: the kubelet has synced the pods it found by then.
    Pod next = startOneGpuPod(client, "life-kubelet-new");
    assertThat(gpusSeen(client, next)).isEqualTo(gpusAllocated(client, next)).hasSize(1);

    assertStillRunning(client, running, before);
    Pod pluginAfter = pluginPod(release);
    assertThat(pluginAfter.getMetadata().getUid()).isEqualTo(plugin.getMetadata().getUid());
    assertThat(prepareLines(client, pluginAfter, uid))
        .as("the plugin prepared claim %s once", uid)
        .hasSize(1);
    assertThat(Files.getLastModifiedTime(spec)).as("CDI spec untouched").isEqualTo(written);
  }

  @Test
  void aRollingUpdateOfThePluginFailsNoPrepare(
      KubernetesClient client, RealNodes nodes, DriverRelease release) {
    RealNode node = nodes.node(NODE);
    Pod running = startOneGpuPod(client, "life-roll-old");
    ContainerStatus before = status(running);
    Pod plugin = pluginPod(release);
    int registrations = DriverRelease.registrationLines(node.kubeletLog()).size();
    long begin = System.nanoTime();

    // A changed pod annotation rolls the DaemonSet: maxSurge 1, so the new pod starts first.
    release.upgrade("kubeletPlugin.podAnnotations.gpudra\\.dev/rollout=r" + System.nanoTime());
    // Pods created while the update goes on, prepared by whichever plugin the kubelet calls: one
    // at once, one as soon as the new plugin's container runs. Without a readiness probe that
    // waits for registration, the old pod went right then and the second pod's prepare failed
    // with "DRA driver gpu.gpudra.dev is not registered".
    createOneGpuPod(client, "life-roll-early");
    Pod surged =
        Poll.until(
            "a second plugin pod running on " + NODE,
            TIMEOUT,
            Duration.ofMillis(250),
            () ->
                release.pods("kubelet-plugin").stream()
                    .filter(p -> NODE.equals(p.getSpec().getNodeName()))
                    .filter(p -> !p.getMetadata().getUid().equals(plugin.getMetadata().getUid()))
                    .filter(RealNodeLifecycleIT::containerRunning)
                    .findFirst()
                    .orElse(null),
            p -> p != null);
    double surgedAt = (System.nanoTime() - begin) / 1e9;
    createOneGpuPod(client, "life-roll-surge");

    Pod replaced =
        Poll.until(
                "the plugin pod on " + NODE + " replaced, the old one gone",
                TIMEOUT,
                Duration.ofSeconds(1),
                () ->
                    release.pods("kubelet-plugin").stream()
                        .filter(p -> NODE.equals(p.getSpec().getNodeName()))
                        .toList(),
                pods ->
                    pods.size() == 1
                        && !pods.get(0).getMetadata().getUid().equals(plugin.getMetadata().getUid())
                        && ready(pods.get(0)))
            .get(0);
    double replacedAt = (System.nanoTime() - begin) / 1e9;
    assertThat(replaced.getMetadata().getUid()).isEqualTo(surged.getMetadata().getUid());
    Poll.until(
        "kubelet of " + NODE + " registered the new plugin",
        TIMEOUT,
        Duration.ofMillis(500),
        () -> DriverRelease.registrationLines(node.kubeletLog()).size(),
        n -> n > registrations);
    List<Pod> during =
        List.of(
            awaitOneGpuPod(client, "life-roll-early"), awaitOneGpuPod(client, "life-roll-surge"));
    Pod after = startOneGpuPod(client, "life-roll-after");
    System.out.printf(
        "[e2e] rolled plugin pod %s -> %s: new container running after %.1f s, old pod gone after"
            + " %.1f s%n",
        plugin.getMetadata().getName(), replaced.getMetadata().getName(), surgedAt, replacedAt);

    assertStillRunning(client, running, before);
    for (Pod pod :
        java.util.stream.Stream.concat(during.stream(), java.util.stream.Stream.of(after))
            .toList()) {
      assertThat(gpusSeen(client, pod)).isEqualTo(gpusAllocated(client, pod)).hasSize(1);
    }
    for (String ns : namespaces) {
      assertThat(
              client.v1().events().inNamespace(ns).list().getItems().stream()
                  .filter(e -> "Warning".equals(e.getType()))
                  // The scheduler's, while the claim of the pod's template is being made, and the
                  // kubelet's for the cluster DNS these clusters do not run.
                  .filter(e -> !"FailedScheduling".equals(e.getReason()))
                  .filter(e -> !"MissingClusterDNS".equals(e.getReason()))
                  .map(e -> e.getReason() + ": " + e.getMessage())
                  .toList())
          .as("the kubelet's warning events in " + ns)
          .isEmpty();
    }
  }

  @Test
  void aCdiSpecDeletedBehindThePluginsBackFailsNewContainersUntilThePluginRestarts(
      KubernetesClient client, RealNodes nodes, DriverRelease release) throws IOException {
    RealNode node = nodes.node(NODE);
    String ns = "life-spec";
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    namespaces.add(ns);
    ExampleManifests.apply(
        client, ns, "shared-claim", PrintingWorkload::adapt, "claim.yaml", "pods.yaml");
    List<Pod> running =
        Poll.until(
            "pods of the shared claim running and printed",
            TIMEOUT,
            Duration.ofSeconds(1),
            () -> client.pods().inNamespace(ns).list().getItems(),
            pods ->
                pods.size() == 2
                    && pods.stream().allMatch(p -> PrintingWorkload.printed(client, p)));
    List<ContainerStatus> before = running.stream().map(RealNodeLifecycleIT::status).toList();
    String uid = PodClaims.of(client, running.get(0)).get(0).getMetadata().getUid();
    Path spec = node.cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + uid + ".json");

    String prepared = Files.readString(spec);
    assertThat(spec.toFile().delete()).as("deleted " + spec).isTrue();
    Pod late = client.resource(anotherPodLike(running.get(0), "shared-gpu-late")).create();

    // The kubelet has the claim prepared already and does not ask the plugin: the runtime fails.
    String failure =
        Poll.until(
                "the runtime's error in the events of " + late.getMetadata().getName(),
                TIMEOUT,
                Duration.ofSeconds(1),
                () ->
                    client.v1().events().inNamespace(ns).list().getItems().stream()
                        .filter(e -> "shared-gpu-late".equals(e.getInvolvedObject().getName()))
                        .filter(e -> "Warning".equals(e.getType()))
                        .map(e -> e.getReason() + ": " + e.getMessage())
                        .filter(m -> m.contains(uid))
                        .toList(),
                events -> !events.isEmpty())
            .get(0);
    System.out.printf("[e2e] with the CDI spec gone: %s%n", failure);
    assertThat(failure).contains("CDI");

    for (int i = 0; i < running.size(); i++) {
      assertStillRunning(client, running.get(i), before.get(i));
    }

    // The kubelet v1.37 asks for no prepare while it holds the claim prepared, not even after a
    // restart (its checkpoint): the plugin's own start-up recovery writes the spec again.
    Pod plugin = pluginPod(release);
    client.resource(plugin).delete();
    Poll.until(
        "the CDI spec of claim " + uid + " back after the plugin's restart",
        TIMEOUT,
        Duration.ofMillis(500),
        () -> Files.exists(spec) ? pluginPod(release) : null,
        p -> p != null && !p.getMetadata().getUid().equals(plugin.getMetadata().getUid()));
    assertThat(Files.readString(spec)).as("the spec as prepared").isEqualTo(prepared);
    assertThat(prepareLines(client, pluginPod(release), uid))
        .as("restored at start-up, not prepared again")
        .isEmpty();
    Pod again = client.resource(anotherPodLike(late, "shared-gpu-again")).create();
    Pod started =
        Poll.until(
            "pod " + again.getMetadata().getName() + " running and printed",
            TIMEOUT,
            Duration.ofSeconds(1),
            () -> client.pods().inNamespace(ns).withName("shared-gpu-again").get(),
            p -> p != null && PrintingWorkload.printed(client, p));
    assertThat(gpusSeen(client, started))
        .isEqualTo(gpusAllocated(client, started))
        .isEqualTo(gpusSeen(client, running.get(0)))
        .hasSize(1);
    for (int i = 0; i < running.size(); i++) {
      assertStillRunning(client, running.get(i), before.get(i));
    }
    Pod lateNow = client.pods().inNamespace(ns).withName("shared-gpu-late").get();
    System.out.printf(
        "[e2e] CDI spec of claim %s written again by the restarted plugin; the late pod is %s%n",
        uid, lateNow == null ? "gone" : lateNow.getStatus().getPhase());
  }

  /** Creates the one-gpu example's pod in {@code ns} and waits until its container printed. */
  private Pod startOneGpuPod(KubernetesClient client, String ns) {
    createOneGpuPod(client, ns);
    return awaitOneGpuPod(client, ns);
  }

  /** Creates namespace {@code ns} (removed after the test) and the one-gpu example's pod in it. */
  private void createOneGpuPod(KubernetesClient client, String ns) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    namespaces.add(ns);
    ExampleManifests.apply(
        client, ns, "one-gpu", PrintingWorkload::adapt, "claim-template.yaml", "pod.yaml");
  }

  /** Waits until the one-gpu example's pod in {@code ns} runs and its container printed. */
  private static Pod awaitOneGpuPod(KubernetesClient client, String ns) {
    return Poll.until(
        "pod one-gpu of " + ns + " running and printed",
        TIMEOUT,
        Duration.ofSeconds(1),
        () -> client.pods().inNamespace(ns).withName("one-gpu").get(),
        p -> p != null && PrintingWorkload.printed(client, p));
  }

  /** A new pod named {@code name} with the spec of {@code pod}, not yet scheduled. */
  private static Pod anotherPodLike(Pod pod, String name) {
    return new PodBuilder(pod)
        .withNewMetadata()
        .withName(name)
        .withNamespace(pod.getMetadata().getNamespace())
        .endMetadata()
        .editSpec()
        .withNodeName(null)
        .endSpec()
        .withStatus(null)
        .build();
  }

  private static void assertStillRunning(KubernetesClient client, Pod pod, ContainerStatus before) {
    Pod now =
        client
            .pods()
            .inNamespace(pod.getMetadata().getNamespace())
            .withName(pod.getMetadata().getName())
            .get();
    assertThat(now.getStatus().getPhase()).isEqualTo("Running");
    ContainerStatus after = status(now);
    assertThat(after.getContainerID()).as("same container").isEqualTo(before.getContainerID());
    assertThat(after.getRestartCount()).isEqualTo(before.getRestartCount());
    assertThat(after.getState().getRunning()).isNotNull();
    assertThat(gpusSeen(client, now)).isEqualTo(gpusAllocated(client, now)).hasSize(1);
  }

  private static ContainerStatus status(Pod pod) {
    return pod.getStatus().getContainerStatuses().get(0);
  }

  private static Pod pluginPod(DriverRelease release) {
    return release.pods("kubelet-plugin").stream()
        .filter(p -> NODE.equals(p.getSpec().getNodeName()))
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .findFirst()
        .orElse(null);
  }

  private static boolean containerRunning(Pod pod) {
    List<ContainerStatus> statuses =
        pod.getStatus() == null ? null : pod.getStatus().getContainerStatuses();
    return statuses != null
        && !statuses.isEmpty()
        && statuses.stream()
            .allMatch(s -> s.getState() != null && s.getState().getRunning() != null);
  }

  private static boolean ready(Pod pod) {
    List<ContainerStatus> statuses =
        pod.getStatus() == null ? null : pod.getStatus().getContainerStatuses();
    return statuses != null
        && !statuses.isEmpty()
        && statuses.stream().allMatch(s -> Boolean.TRUE.equals(s.getReady()));
  }

  /** The plugin's log lines saying it prepared claim {@code uid} (not answers from its record). */
  private static List<String> prepareLines(KubernetesClient client, Pod plugin, String uid) {
    Pattern prepared = Pattern.compile(".*(^|[^a-z])prepared claim \\S+ \\(" + uid + "\\).*");
    String log =
        client
            .pods()
            .inNamespace(plugin.getMetadata().getNamespace())
            .withName(plugin.getMetadata().getName())
            .getLog();
    return log.lines().filter(l -> prepared.matcher(l).matches()).toList();
  }

  /** Minors of the GPU device nodes the pod's container listed. */
  private static Set<Integer> gpusSeen(KubernetesClient client, Pod pod) {
    Set<Integer> minors = new TreeSet<>();
    for (PrintingWorkload.DeviceNode device :
        PrintingWorkload.devices(PrintingWorkload.log(client, pod))) {
      Matcher m = GPU_NODE.matcher(device.path());
      if (m.matches() && device.minor() == Integer.parseInt(m.group(1))) {
        minors.add(device.minor());
      }
    }
    return minors;
  }

  /** Minors of the whole GPUs our driver allocated to the pod's claims. */
  private static Set<Integer> gpusAllocated(KubernetesClient client, Pod pod) {
    Set<Integer> minors = new TreeSet<>();
    for (ResourceClaim claim : PodClaims.of(client, pod)) {
      PodClaims.results(claim).stream()
          .filter(r -> DriverNames.DRIVER.equals(r.getDriver()))
          .map(r -> GPU_MINOR.matcher(r.getDevice()))
          .filter(Matcher::matches)
          .forEach(m -> minors.add(Integer.parseInt(m.group(1))));
    }
    return minors;
  }
}
