package dev.gpudra.e2e.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.names.DriverNames;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.GpudraCli;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.cluster.Poll;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.examples.PodClaims;
import dev.gpudra.e2e.junit.RealNodeScenario;
import dev.gpudra.e2e.nodes.BatchPods;
import dev.gpudra.e2e.realnode.PrintingWorkload.DeviceNode;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code examples/aws-batch} on real nodes, where the kubelet's admission decides whether a Batch
 * pod gets GPUs: a Batch node (8x A100) tainted {@code batch.amazonaws.com/batch-node} (NoSchedule
 * and NoExecute) and a system node (1x L4) for the controller; the chart installed by Helm with the
 * example's {@code values.yaml} (the DeviceClass's {@code extendedResourceName: nvidia.com/gpu},
 * the plugin tolerating the taint, the pre-bound webhook scoped to {@code batch-jobs} with the
 * chart-made certificate behind its Service); Batch's documented RBAC ({@code rbac.yaml}) and every
 * Batch pod created as the user {@code aws-batch}. Each pod is the example's {@code pod.yaml} with
 * its container printing what it sees ({@link PrintingWorkload}), checked against its claim's
 * allocation.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealNodeAwsBatchIT {

  private static final String NS = "batch-jobs";
  private static final String BATCH_NODE = "batch-a100-8x";
  private static final String BATCH_PROFILE = "a100-8x";
  private static final String SYSTEM_NODE = "system-l4-1x";
  private static final String BATCH_TAINT = "batch.amazonaws.com/batch-node";
  private static final String GPU = "nvidia.com/gpu";
  private static final Duration TIMEOUT = Duration.ofMinutes(4);
  private static final int NVIDIA_MAJOR = 195;
  private static final Pattern GPU_NODE = Pattern.compile("/dev/nvidia(\\d+)");
  private static final Pattern GPU_DEVICE = Pattern.compile("gpu-(\\d+)");

  /** What the webhook writes on a pod it rewrote (the controller's PreboundPodRewrite). */
  private static final String REWRITTEN = "gpu.gpudra.dev/prebound-extended-resources";

  /** What the controller writes on a pod whose claim it allocated (its AllocationWriter). */
  private static final String NUDGED = "gpu.gpudra.dev/claims-allocated-at";

  @RegisterExtension
  static final RealNodeScenario scenario =
      RealNodeScenario.withNode(SYSTEM_NODE, "l4-1x").andNode(BATCH_NODE, BATCH_PROFILE);

  private ControlPlane plane;
  private KubernetesClient admin;
  private KubernetesClient batch;
  private DriverRelease release;
  private final List<HasMetadata> batchRbac = new ArrayList<>();
  private int wholeGpus;

  /**
   * The Batch node tainted before anything runs on it, so that only what tolerates the taint lands
   * there (the plugin's DaemonSet; the controller goes to the system node); then the chart, Batch's
   * namespace and RBAC, and a client that is Batch.
   */
  @BeforeAll
  void batchNodeChartAndBatchIdentity(ControlPlane plane, RealNodes nodes) {
    this.plane = plane;
    admin = plane.client();
    admin
        .nodes()
        .withName(BATCH_NODE)
        .edit(
            n ->
                new NodeBuilder(n)
                    .editSpec()
                    .addToTaints(
                        new TaintBuilder().withKey(BATCH_TAINT).withEffect("NoSchedule").build(),
                        new TaintBuilder().withKey(BATCH_TAINT).withEffect("NoExecute").build())
                    .endSpec()
                    .build());
    for (RealNode node : nodes.nodes()) {
      node.importImage(DriverRelease.imageTar());
    }
    release =
        DriverRelease.install(
            plane,
            nodes,
            List.of(ExampleManifests.file("aws-batch", "values.yaml").toAbsolutePath()),
            List.of());
    batchRbac.addAll(ExampleManifests.apply(admin, NS, "aws-batch", "rbac.yaml"));
    batch = BatchPods.asBatch(admin);
    // Whole GPUs only: the profile has GPUs in MIG mode.
    wholeGpus =
        (int)
            admin.dynamicResourceAllocation().v1().resourcesSlices().list().getItems().stream()
                .filter(s -> BATCH_NODE.equals(s.getSpec().getNodeName()))
                .filter(s -> DriverNames.DRIVER.equals(s.getSpec().getDriver()))
                .flatMap(s -> s.getSpec().getDevices().stream())
                .filter(d -> GPU_DEVICE.matcher(d.getName()).matches())
                .count();
  }

  @AfterAll
  void removeBatchAndTheChart() {
    try {
      if (batch != null) {
        batch.close();
      }
      for (HasMetadata object : batchRbac.reversed()) {
        admin.resource(object).delete();
      }
      Namespaces.deleteAndAwaitGone(admin, NS, TIMEOUT);
    } finally {
      if (release != null) {
        release.close();
      }
    }
  }

  @Test
  void theChartServesTheBatchNodeAndScopesTheWebhookToTheBatchNamespace() throws IOException {
    assertThat(
            admin
                .dynamicResourceAllocation()
                .v1()
                .deviceClasses()
                .withName(DriverNames.DRIVER)
                .get()
                .getSpec()
                .getExtendedResourceName())
        .isEqualTo(GPU);
    var node = admin.nodes().withName(BATCH_NODE).get();
    assertThat(node.getSpec().getTaints())
        .filteredOn(t -> BATCH_TAINT.equals(t.getKey()))
        .extracting(t -> t.getEffect())
        .containsExactlyInAnyOrder("NoSchedule", "NoExecute");
    // No device plugin: the node does not list the extended resource at all.
    assertThat(node.getStatus().getAllocatable()).doesNotContainKey(GPU);
    assertThat(release.pods("kubelet-plugin"))
        .extracting(p -> p.getSpec().getNodeName())
        .contains(BATCH_NODE);
    assertThat(release.pods("controller"))
        .extracting(p -> p.getSpec().getNodeName())
        .containsOnly(SYSTEM_NODE);

    MutatingWebhook webhook =
        admin
            .admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .withName("gpudra-prebound-pods")
            .get()
            .getWebhooks()
            .getFirst();
    System.out.printf(
        "[e2e] aws-batch: webhook %s -> service %s/%s%s, namespaces %s, failurePolicy %s%n",
        webhook.getName(),
        webhook.getClientConfig().getService().getNamespace(),
        webhook.getClientConfig().getService().getName(),
        webhook.getClientConfig().getService().getPath(),
        webhook.getNamespaceSelector().getMatchLabels(),
        webhook.getFailurePolicy());
    assertThat(webhook.getClientConfig().getUrl()).isNull();
    assertThat(webhook.getClientConfig().getCaBundle()).isNotBlank();
    assertThat(webhook.getNamespaceSelector().getMatchLabels())
        .isEqualTo(Map.of("kubernetes.io/metadata.name", NS));

    // Batch's identity: it creates pods, and may not bind them or touch DRA objects.
    assertThat(batchMay("create", "", "pods", null)).isTrue();
    assertThat(batchMay("create", "", "pods", "binding")).isFalse();
    assertThat(batchMay("update", "", "pods", "status")).isFalse();
    assertThat(batchMay("create", "resource.k8s.io", "resourceclaims", null)).isFalse();

    // Out of the webhook's scope, a pre-bound pod asking for a GPU is what Batch gets without
    // gpudra: the real kubelet drops the request its node does not list and starts the
    // container with no GPU at all.
    String other = Namespaces.create(admin, "not-batch");
    try {
      Pod created =
          admin
              .pods()
              .inNamespace(other)
              .resource(batchPod("aws-batch.out-of-scope", BATCH_NODE, 1))
              .create();
      assertThat(created.getSpec().getResourceClaims()).isEmpty();
      assertThat(created.getSpec().getContainers().getFirst().getResources().getLimits())
          .containsKey(GPU);
      Pod running = awaitPrinted(other, "aws-batch.out-of-scope");
      List<DeviceNode> seen = devices(running);
      System.out.printf("[e2e] aws-batch: out-of-scope pre-bound pod Running with %s%n", seen);
      assertThat(gpuMinors(seen)).as("GPUs of a pod nobody served").isEmpty();
    } finally {
      Namespaces.deleteAndAwaitGone(admin, other, TIMEOUT);
    }
  }

  @Test
  void aSchedulerPlacedBatchPodRunsWithTwoGpusFromTheExtendedResourceName() throws IOException {
    String name = "aws-batch.scheduled-2";
    long start = System.nanoTime();
    Pod created = createAsBatch(name, null, 2);
    try {
      assertThat(created.getSpec().getResourceClaims()).as("webhook leaves it alone").isEmpty();
      Pod running = awaitPrinted(NS, name);
      double seconds = (System.nanoTime() - start) / 1e9;
      assertThat(running.getSpec().getNodeName()).isEqualTo(BATCH_NODE);
      assertThat(running.getStatus().getExtendedResourceClaimStatus()).isNotNull();
      Set<Integer> allocated = allocatedMinors(running);
      List<DeviceNode> seen = devices(running);
      System.out.printf(
          "[e2e] aws-batch: scheduler-placed pod Running after %.1f s on %s with %s (claim %s)%n",
          seconds,
          running.getSpec().getNodeName(),
          seen,
          running.getStatus().getExtendedResourceClaimStatus().getResourceClaimName());
      assertThat(allocated).hasSize(2);
      assertSeesExactly(name, seen, allocated);
    } finally {
      deleteAndAwaitGone(name);
    }
  }

  @Test
  void aPreboundBatchPodIsRewrittenAllocatedOnItsNodeAndRunsWithItsGpus() throws IOException {
    String name = "aws-batch.prebound-2";
    long start = System.nanoTime();
    Pod created = createAsBatch(name, BATCH_NODE, 2);
    try {
      assertRewritten(created, 2);
      Map<String, Double> stages = new LinkedHashMap<>();
      Pod running =
          Poll.until(
              name + " Running and printed",
              TIMEOUT,
              Duration.ofMillis(200),
              () -> observe(name, start, stages),
              p -> PrintingWorkload.printed(admin, p));
      stages.putIfAbsent("container printed", (System.nanoTime() - start) / 1e9);
      System.out.printf("[e2e] aws-batch: pre-bound pod, seconds from creation: %s%n", stages);

      assertThat(running.getSpec().getNodeName()).isEqualTo(BATCH_NODE);
      assertThat(running.getMetadata().getAnnotations()).containsKey(NUDGED);
      ResourceClaim claim = PodClaims.of(admin, running).getFirst();
      var allocation = claim.getStatus().getAllocation();
      assertThat(allocation.getDevices().getResults())
          .hasSize(2)
          .allSatisfy(r -> assertThat(r.getPool()).isEqualTo(BATCH_NODE));
      assertThat(allocation.getNodeSelector().getNodeSelectorTerms().getFirst().getMatchFields())
          .singleElement()
          .satisfies(f -> assertThat(f.getValues()).containsExactly(BATCH_NODE));
      assertThat(claim.getStatus().getReservedFor())
          .anySatisfy(r -> assertThat(r.getUid()).isEqualTo(running.getMetadata().getUid()));
      List<DeviceNode> seen = devices(running);
      System.out.printf("[e2e] aws-batch: pre-bound pod sees %s%n", seen);
      assertSeesExactly(name, seen, allocatedMinors(running));
    } finally {
      deleteAndAwaitGone(name);
    }
  }

  @Test
  void aPreboundPodAskingMoreThanIsFreeWaitsWithTheReasonAndRunsOnceGpusAreFreed()
      throws IOException {
    String holder = "aws-batch.holder";
    String waiter = "aws-batch.waiter";
    int asked = wholeGpus - 1;
    try {
      createAsBatch(holder, BATCH_NODE, 2);
      awaitPrinted(NS, holder);
      assertRewritten(createAsBatch(waiter, BATCH_NODE, asked), asked);

      Event pending =
          Poll.until(
                  "a ClaimPending Event on " + waiter,
                  TIMEOUT,
                  Duration.ofMillis(500),
                  () -> eventsOf(waiter, "ClaimPending"),
                  events -> !events.isEmpty())
              .getFirst();
      System.out.println("[e2e] aws-batch: waiting pre-bound pod: " + pending.getMessage());
      assertThat(pending.getType()).isEqualTo("Warning");
      assertThat(pending.getMessage())
          .contains("node " + BATCH_NODE)
          .contains("allocated to other claims");

      String explained =
          GpudraCli.check(plane, TIMEOUT, "explain", "pod", NS + "/" + waiter).stdout();
      System.out.println("[e2e] aws-batch: gpudra explain pod " + NS + "/" + waiter);
      System.out.print(explained);
      assertThat(explained)
          .contains("is bound to node " + BATCH_NODE)
          .contains("fits on none of 1 nodes")
          .contains("allocated to other claims");

      // The real kubelet has the pod and refuses to start it without its GPUs: it tried to
      // prepare the claim and left the container waiting, never created.
      List<Event> refused =
          Poll.until(
              "the kubelet's FailedPrepareDynamicResources on " + waiter,
              TIMEOUT,
              Duration.ofMillis(500),
              () -> eventsOf(waiter, "FailedPrepareDynamicResources"),
              events -> !events.isEmpty());
      System.out.println("[e2e] aws-batch: kubelet on the waiting pod: " + refused.getFirst());
      Pod waiting = admin.pods().inNamespace(NS).withName(waiter).get();
      assertThat(waiting.getStatus().getPhase()).isEqualTo("Pending");
      assertNeverRan(waiting);

      admin.pods().inNamespace(NS).withName(holder).delete();
      long freed = System.nanoTime();
      Pod running = awaitPrinted(NS, waiter);
      List<DeviceNode> seen = devices(running);
      System.out.printf(
          "[e2e] aws-batch: waiting pod Running %.1f s after the holder was deleted, sees %s%n",
          (System.nanoTime() - freed) / 1e9, seen);
      Set<Integer> allocated = allocatedMinors(running);
      assertThat(allocated).hasSize(asked);
      assertSeesExactly(waiter, seen, allocated);
    } finally {
      deleteAndAwaitGone(holder);
      deleteAndAwaitGone(waiter);
    }
  }

  /** The example's Batch pod, its container printing what it sees. */
  private Pod batchPod(String name, String node, int gpus) throws IOException {
    return (Pod) PrintingWorkload.adapt(BatchPods.pod(admin, name, node, gpus));
  }

  private Pod createAsBatch(String name, String node, int gpus) throws IOException {
    return batch.pods().inNamespace(NS).resource(batchPod(name, node, gpus)).create();
  }

  /** The webhook's rewrite: the GPUs asked become a claim from the per-count template. */
  private static void assertRewritten(Pod created, int gpus) {
    var container = created.getSpec().getContainers().getFirst();
    assertThat(container.getResources().getLimits()).doesNotContainKey(GPU);
    assertThat(container.getResources().getRequests()).doesNotContainKey(GPU);
    assertThat(created.getSpec().getResourceClaims())
        .singleElement()
        .satisfies(
            c ->
                assertThat(c.getResourceClaimTemplateName())
                    .isEqualTo("gpudra-gpu-gpudra-dev-" + gpus));
    assertThat(created.getSpec().getNodeName()).isEqualTo(BATCH_NODE);
    assertThat(created.getMetadata().getLabels()).containsKey("batch.amazonaws.com/job-id");
    assertThat(created.getMetadata().getAnnotations()).containsKey(REWRITTEN);
  }

  /** The pod now, noting in {@code stages} when each step towards Running was first seen. */
  private Pod observe(String name, long start, Map<String, Double> stages) {
    Pod pod = admin.pods().inNamespace(NS).withName(name).get();
    double now = (System.nanoTime() - start) / 1e9;
    if (pod == null) {
      return null;
    }
    List<ResourceClaim> claims = PodClaims.of(admin, pod);
    if (!claims.isEmpty()) {
      stages.putIfAbsent("claim created", now);
    }
    if (claims.stream().anyMatch(c -> !PodClaims.results(c).isEmpty())) {
      stages.putIfAbsent("claim allocated", now);
    }
    if (pod.getMetadata().getAnnotations() != null
        && pod.getMetadata().getAnnotations().containsKey(NUDGED)) {
      stages.putIfAbsent("kubelet nudged", now);
    }
    if (pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase())) {
      stages.putIfAbsent("Running", now);
    }
    return pod;
  }

  private Pod awaitPrinted(String namespace, String name) {
    return Poll.until(
        "pod " + namespace + "/" + name + " Running and printed",
        TIMEOUT,
        Duration.ofMillis(500),
        () -> admin.pods().inNamespace(namespace).withName(name).get(),
        p -> p != null && PrintingWorkload.printed(admin, p));
  }

  private List<DeviceNode> devices(Pod pod) {
    return PrintingWorkload.devices(PrintingWorkload.log(admin, pod));
  }

  /** The minors of the GPUs the pod's claims were allocated (ours only). */
  private Set<Integer> allocatedMinors(Pod pod) {
    Set<Integer> minors = new TreeSet<>();
    for (ResourceClaim claim : PodClaims.of(admin, pod)) {
      PodClaims.results(claim).stream()
          .filter(r -> DriverNames.DRIVER.equals(r.getDriver()))
          .forEach(
              r -> {
                Matcher m = GPU_DEVICE.matcher(r.getDevice());
                assertThat(m.matches()).as("a whole GPU: " + r.getDevice()).isTrue();
                minors.add(Integer.parseInt(m.group(1)));
              });
    }
    return minors;
  }

  /** The minors of the GPU device nodes a container listed, each checked to be an NVIDIA GPU. */
  private static Set<Integer> gpuMinors(List<DeviceNode> seen) {
    Set<Integer> minors = new TreeSet<>();
    for (DeviceNode device : seen) {
      Matcher gpu = GPU_NODE.matcher(device.path());
      if (gpu.matches()) {
        assertThat(device.major()).as(device.toString()).isEqualTo(NVIDIA_MAJOR);
        assertThat(device.minor()).as(device.toString()).isEqualTo(Integer.parseInt(gpu.group(1)));
        minors.add(device.minor());
      }
    }
    return minors;
  }

  private static void assertSeesExactly(String pod, List<DeviceNode> seen, Set<Integer> minors) {
    assertThat(gpuMinors(seen)).as("GPU device nodes of " + pod).isEqualTo(minors);
    assertThat(seen)
        .as("control device of " + pod)
        .contains(new DeviceNode("/dev/nvidiactl", NVIDIA_MAJOR, 255));
  }

  /** Its containers were never created: no container ID, no start, no restart. */
  private static void assertNeverRan(Pod pod) {
    List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
    System.out.println("[e2e] aws-batch: container statuses of the waiting pod: " + statuses);
    for (ContainerStatus status : statuses == null ? List.<ContainerStatus>of() : statuses) {
      assertThat(status.getContainerID()).as(status.getName()).isNull();
      assertThat(status.getRestartCount()).as(status.getName()).isZero();
      assertThat(status.getState().getRunning()).as(status.getName()).isNull();
      assertThat(status.getState().getTerminated()).as(status.getName()).isNull();
      assertThat(status.getLastState().getTerminated()).as(status.getName()).isNull();
    }
  }

  private List<Event> eventsOf(String pod, String reason) {
    return admin.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> pod.equals(e.getInvolvedObject().getName()))
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  private boolean batchMay(String verb, String group, String resource, String subresource) {
    SelfSubjectAccessReview review =
        batch
            .authorization()
            .v1()
            .selfSubjectAccessReview()
            .create(
                new SelfSubjectAccessReviewBuilder()
                    .withNewSpec()
                    .withNewResourceAttributes()
                    .withNamespace(NS)
                    .withVerb(verb)
                    .withGroup(group)
                    .withResource(resource)
                    .withSubresource(subresource)
                    .endResourceAttributes()
                    .endSpec()
                    .build());
    return review.getStatus().getAllowed();
  }

  private void deleteAndAwaitGone(String name) {
    admin.pods().inNamespace(NS).withName(name).delete();
    Poll.until(
        "pod " + NS + "/" + name + " gone",
        TIMEOUT,
        Duration.ofMillis(500),
        () -> admin.pods().inNamespace(NS).withName(name).get(),
        p -> p == null);
  }
}
