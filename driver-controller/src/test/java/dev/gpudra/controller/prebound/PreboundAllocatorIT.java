package dev.gpudra.controller.prebound;

import static dev.gpudra.testkit.cluster.ClusterFixtures.DRIVER;
import static dev.gpudra.testkit.cluster.ClusterFixtures.NODE_A;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import dev.gpudra.testkit.cluster.ClusterFixtures;
import dev.gpudra.testkit.cluster.MovableClock;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pre-bound allocator against the mock API server, with claims shaped as the resource-claim
 * controller makes them from the rewrite's templates (owned by the pod, labelled).
 */
@EnableKubernetesMockClient(crud = true)
class PreboundAllocatorIT {

  private static final String NS = "batch-jobs";

  KubernetesClient client;

  private ClusterView view;
  private PreboundAllocator allocator;
  private final MovableClock clock = new MovableClock();

  @BeforeEach
  void nodeAWithTwoL4s() {
    ClusterFixtures.on(client).twoL4sOnNodeA();
    startController();
  }

  /** A controller replica: its own view of the cluster and no memory of earlier writes. */
  private void startController() {
    view = new ClusterView(client);
    view.start(Duration.ofSeconds(30));
    allocator =
        new PreboundAllocator(
            PreboundView.of(view),
            new AllocationWriter(client),
            new SelectorCache(SelectorEnvironment.create(), 64),
            AllocationBudget.DEFAULT,
            clock,
            PreboundAllocator.CONFIRM_AFTER);
  }

  @AfterEach
  void stop() {
    view.close();
  }

  /** A pre-bound pod on {@code node} and its claim for {@code gpus} GPUs, as kcm creates it. */
  private ResourceClaim preboundPod(String name, String node, int gpus) {
    Pod pod =
        client
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withNamespace(NS)
                    .withName(name)
                    .withUid(UUID.randomUUID().toString())
                    .endMetadata()
                    .withNewSpec()
                    .withNodeName(node)
                    .addNewResourceClaim()
                    .withName("gpudra-0")
                    .withResourceClaimTemplateName("gpudra-gpu-gpudra-dev-" + gpus)
                    .endResourceClaim()
                    .addNewContainer()
                    .withName("main")
                    .withImage("cuda")
                    .endContainer()
                    .endSpec()
                    .withNewStatus()
                    .withPhase("Pending")
                    .addNewResourceClaimStatus()
                    .withName("gpudra-0")
                    .withResourceClaimName(name + "-gpu")
                    .endResourceClaimStatus()
                    .endStatus()
                    .build())
            .create();
    var template = ClaimTemplates.template(NS, new ClaimTemplates.Shape(DRIVER, gpus));
    ResourceClaimBuilder claim =
        new ResourceClaimBuilder()
            .withNewMetadata()
            .withNamespace(NS)
            .withName(name + "-gpu")
            .withLabels(template.getSpec().getMetadata().getLabels())
            .endMetadata()
            .withSpec(template.getSpec().getSpec());
    ResourceClaim stored = client.resource(ClusterFixtures.ownedBy(claim, pod).build()).create();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> view.pod(NS, name).isPresent() && claimInView(stored.getMetadata().getName()));
    return stored;
  }

  private boolean claimInView(String name) {
    return view.claims().stream().anyMatch(c -> name.equals(c.getMetadata().getName()));
  }

  private ResourceClaim claim(String name) {
    return client
        .dynamicResourceAllocation()
        .v1()
        .resourceClaims()
        .inNamespace(NS)
        .withName(name)
        .get();
  }

  private PreboundAllocator.Pass passWhenViewShows(int allocatedClaims) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                view.claims().stream().filter(PreboundClaims::allocated).count()
                    == allocatedClaims);
    return allocator.runOnce();
  }

  @Test
  void allocatesThePodsClaimOnItsNodeReservesItAndNudgesTheKubelet() {
    preboundPod("aws-batch.1", NODE_A, 2);

    PreboundAllocator.Pass pass = allocator.runOnce();

    assertThat(pass.allocated()).isEqualTo(1);
    assertThat(client.pods().inNamespace(NS).withName("aws-batch.1").get().getMetadata())
        .as("the kubelet is nudged only once the allocation is confirmed")
        .satisfies(
            m ->
                assertThat(Objects.requireNonNullElse(m.getAnnotations(), Map.of()))
                    .doesNotContainKey(AllocationWriter.ALLOCATED_ANNOTATION));
    passWhenViewShows(1);
    clock.advance(PreboundAllocator.CONFIRM_AFTER);
    assertThat(allocator.runOnce().nudged()).isEqualTo(1);
    ResourceClaim claim = claim("aws-batch.1-gpu");
    assertThat(claim.getMetadata().getFinalizers()).contains(AllocationWriter.FINALIZER);
    assertThat(claim.getStatus().getAllocation().getDevices().getResults())
        .extracting(DeviceRequestAllocationResult::getDevice)
        .containsExactlyInAnyOrder("gpu-0", "gpu-1");
    assertThat(claim.getStatus().getAllocation().getNodeSelector().getNodeSelectorTerms())
        .singleElement()
        .satisfies(
            t -> assertThat(t.getMatchFields().getFirst().getValues()).containsExactly(NODE_A));
    Pod pod = client.pods().inNamespace(NS).withName("aws-batch.1").get();
    assertThat(claim.getStatus().getReservedFor())
        .singleElement()
        .satisfies(r -> assertThat(r.getUid()).isEqualTo(pod.getMetadata().getUid()));
    assertThat(pod.getMetadata().getAnnotations())
        .containsKey(AllocationWriter.ALLOCATED_ANNOTATION);
  }

  @Test
  void aPodAskingMoreThanIsFreeWaitsWithTheReasonAndGetsTheGpusOnceFreedFirstComeFirstServed() {
    preboundPod("first", NODE_A, 1);
    assertThat(allocator.runOnce().allocated()).isEqualTo(1);
    preboundPod("second", NODE_A, 2);
    preboundPod("third", NODE_A, 1);

    PreboundAllocator.Pass blocked = passWhenViewShows(1);

    assertThat(blocked.allocated()).as("third fits, but waits behind second").isZero();
    assertThat(blocked.waiting().get(NS + "/second-gpu"))
        .contains("node node-a")
        .contains("allocated to other claims");
    assertThat(blocked.waiting().get(NS + "/third-gpu"))
        .contains("behind the older claim " + NS + "/second-gpu");

    // The first job ends: the controller manager drops the finalizer and deletes its claim.
    client
        .resource(claim("first-gpu"))
        .edit(
            c -> new ResourceClaimBuilder(c).editMetadata().withFinalizers().endMetadata().build());
    client.resource(claim("first-gpu")).withGracePeriod(0).delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> !claimInView("first-gpu"));

    PreboundAllocator.Pass freed = passWhenViewShows(0);
    assertThat(freed.allocated()).isEqualTo(1);
    assertThat(claim("second-gpu").getStatus().getAllocation()).isNotNull();
    assertThat(claim("third-gpu").getStatus())
        .satisfiesAnyOf(s -> assertThat(s).isNull(), s -> assertThat(s.getAllocation()).isNull());
  }

  @Test
  void aClaimThatCannotFitEvenOnTheEmptyNodeDoesNotBlockTheOthers() {
    // Claims created in the same second are served in name order, as here.
    preboundPod("a-too-big", NODE_A, 3);
    preboundPod("b-small", NODE_A, 1);

    PreboundAllocator.Pass pass = allocator.runOnce();

    assertThat(pass.allocated()).isEqualTo(1);
    assertThat(pass.waiting().get(NS + "/a-too-big-gpu")).contains("needs 3 but only 2 usable");
    assertThat(claim("b-small-gpu").getStatus().getAllocation()).isNotNull();
  }

  @Test
  void
      aControllerRestartedRightAfterItsWriteNeitherAllocatesAgainNorGivesTheGpuAwayAndStillNudges() {
    preboundPod("before-restart", NODE_A, 1);
    assertThat(allocator.runOnce().allocated()).isEqualTo(1);
    List<String> held = devices(claim("before-restart-gpu"));

    // The replica dies after its status write, before it confirmed and nudged; a new one starts.
    view.close();
    startController();
    preboundPod("after-restart", NODE_A, 2);

    PreboundAllocator.Pass pass = passWhenViewShows(1);
    assertThat(pass.allocated()).as("only one of two GPUs is free for a claim asking two").isZero();
    assertThat(pass.waiting().get(NS + "/after-restart-gpu")).contains("allocated to other claims");
    assertThat(devices(claim("before-restart-gpu"))).isEqualTo(held);
    clock.advance(PreboundAllocator.CONFIRM_AFTER);
    assertThat(allocator.runOnce().nudged()).as("the new replica nudges the kubelet").isEqualTo(1);
    assertThat(client.pods().inNamespace(NS).withName("before-restart").get().getMetadata())
        .satisfies(
            m -> assertThat(m.getAnnotations()).containsKey(AllocationWriter.ALLOCATED_ANNOTATION));
  }

  private static List<String> devices(ResourceClaim claim) {
    return claim.getStatus().getAllocation().getDevices().getResults().stream()
        .map(DeviceRequestAllocationResult::getDevice)
        .toList();
  }

  @Test
  void aPodOnANodeThatIsGoneIsNotAllocated() {
    preboundPod("orphan", "node-gone", 1);

    PreboundAllocator.Pass pass = allocator.runOnce();

    assertThat(pass.allocated()).isZero();
    assertThat(pass.waiting().get(NS + "/orphan-gpu")).isEqualTo("node node-gone does not exist");
  }

  @Test
  void aClaimWhosePodWasDeletedIsNotAllocated() {
    preboundPod("deleted", NODE_A, 1);
    client.pods().inNamespace(NS).withName("deleted").withGracePeriod(0).delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> view.pod(NS, "deleted").isEmpty());

    assertThat(allocator.runOnce().allocated()).isZero();
    assertThat(claim("deleted-gpu").getStatus())
        .satisfiesAnyOf(s -> assertThat(s).isNull(), s -> assertThat(s.getAllocation()).isNull());
  }

  @Test
  void anAllocationThatLostARaceWithTheSchedulerIsReleasedAndAllocatedAgainFromWhatIsFree() {
    ResourceClaim ours = preboundPod("racer", NODE_A, 1);
    // Our write and the scheduler's crossed: both hold gpu-0.
    ResourceClaim written =
        client
            .resource(
                ClusterFixtures.allocatedTo(new ResourceClaimBuilder(ours), NODE_A, "gpu-0")
                    .editStatus()
                    .editAllocation()
                    .editDevices()
                    .editFirstResult()
                    .withRequest(ClaimTemplates.REQUEST)
                    .endResult()
                    .endDevices()
                    .endAllocation()
                    .endStatus()
                    .build())
            .updateStatus();
    client
        .resource(
            ClusterFixtures.allocatedTo(ClusterFixtures.oneGpu(NS, "scheduled"), NODE_A, "gpu-0")
                .build())
        .create();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> view.claims().stream().filter(PreboundClaims::allocated).count() == 2);
    assertThat(DoubleAllocations.clashes(view.claims()))
        .containsOnlyKeys(DRIVER + "/" + NODE_A + "/gpu-0");

    PreboundAllocator.Pass release = allocator.runOnce();
    assertThat(release.released()).isEqualTo(1);
    assertThat(written.getStatus().getAllocation()).isNotNull();

    PreboundAllocator.Pass again = passWhenViewShows(1);
    assertThat(again.allocated()).isEqualTo(1);
    assertThat(claim("racer-gpu").getStatus().getAllocation().getDevices().getResults())
        .extracting(DeviceRequestAllocationResult::getDevice)
        .containsExactly("gpu-1");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> DoubleAllocations.clashes(view.claims()).isEmpty());
    assertThat(List.of(allocator.runOnce().released())).containsExactly(0);
  }
}
