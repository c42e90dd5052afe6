package dev.gpudra.plugin.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.core.checkpoint.TimeSlice;
import dev.gpudra.core.config.TimeSliceInterval;
import dev.gpudra.plugin.metrics.SharingSnapshot.GpuSharing;
import dev.gpudra.plugin.metrics.SharingSnapshot.Held;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SharingSnapshotTest {

  private static final long GIB = 1L << 30;
  private static final String UUID = "GPU-3f1c9a52-7b0e-4d6a-9c18-5e2a7d40b611";

  @Test
  void sharesOfOneGpuAddUpPerGpuAndPerWorkload() {
    Checkpoint checkpoint =
        checkpoint(
            claim("a", "team", share("gpu-4", "s-a")),
            claim("b", "team", share("gpu-4", "s-b")),
            claim("c", "other", share("gpu-4", "s-c")));
    Workload agents = new Workload("team", "Deployment", "agents");
    Workload solo = new Workload("other", "Pod", "solo");
    Map<String, ClaimSharingFacts> facts =
        Map.of(
            "a", facts(agents, "s-a", 8 * GIB, 10),
            "b", facts(agents, "s-b", 8 * GIB, 10),
            "c", facts(solo, "s-c", 16 * GIB, 30));

    SharingSnapshot snapshot = SharingSnapshot.of(checkpoint, facts, Map.of("gpu-4", 80 * GIB));

    assertThat(snapshot.gpus()).containsOnlyKeys("gpu-4");
    assertThat(snapshot.gpus().get("gpu-4")).isEqualTo(new GpuSharing(3, 32 * GIB, 50, 0));
    assertThat(snapshot.workloads())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(agents, new Held(16 * GIB, 20), solo, new Held(16 * GIB, 30)));
  }

  @Test
  void aWholeGpuCountsAllItsMemoryAndCoresForItsWorkloadAndItsTimeSlice() {
    CheckpointedDevice sliced =
        new CheckpointedDevice(
            List.of("gpu"),
            "node",
            "gpu-0",
            List.of("k8s.gpu.gpudra.dev/claim=x-gpu-0"),
            false,
            "TimeSlicing",
            null,
            TimeSlice.of(UUID, TimeSliceInterval.LONG),
            null);
    Workload server = new Workload("ml", "StatefulSet", "server");
    SharingSnapshot snapshot =
        SharingSnapshot.of(
            checkpoint(claim("x", "ml", sliced)),
            Map.of("x", new ClaimSharingFacts(server, Map.of())),
            Map.of("gpu-0", 80 * GIB));

    assertThat(snapshot.gpus().get("gpu-0")).isEqualTo(new GpuSharing(1, 0, 0, 3));
    assertThat(snapshot.workloads())
        .containsExactlyEntriesOf(Map.of(server, new Held(80 * GIB, 100)));
  }

  @Test
  void claimsStillBeingPreparedAndClaimsWithoutFactsCountNoWorkload() {
    PreparedClaim started =
        new PreparedClaim("s", "ns", "s", ClaimState.PREPARE_STARTED, List.of(share("gpu-1", "x")));
    SharingSnapshot snapshot =
        SharingSnapshot.of(
            checkpoint(started, claim("u", "ns", share("gpu-1", "y"))), Map.of(), Map.of());

    assertThat(snapshot.gpus())
        .containsExactlyEntriesOf(Map.of("gpu-1", new GpuSharing(1, 0, 0, 0)));
    assertThat(snapshot.workloads()).isEmpty();
  }

  @Test
  void aDeploymentsPodIsNamedByItsDeploymentOtherOwnersAsTheyAre() {
    assertThat(
            Workload.of(
                pod("agents-7d9f8c6b5-x2x9k", "ReplicaSet", "agents-7d9f8c6b5", "7d9f8c6b5")
                    .getMetadata()))
        .isEqualTo(new Workload("team", "Deployment", "agents"));
    assertThat(Workload.of(pod("rs-abc", "ReplicaSet", "plain-rs", null).getMetadata()))
        .isEqualTo(new Workload("team", "ReplicaSet", "plain-rs"));
    assertThat(Workload.of(pod("server-0", "StatefulSet", "server", null).getMetadata()))
        .isEqualTo(new Workload("team", "StatefulSet", "server"));
    assertThat(Workload.of(pod("solo", null, null, null).getMetadata()))
        .isEqualTo(new Workload("team", "Pod", "solo"));
  }

  @Test
  void factsReadTheConsumedCapacityOfOurSharesAndThePodsOwner() {
    ResourceClaim claim =
        new ResourceClaimBuilder()
            .withNewMetadata()
            .withNamespace("team")
            .withName("agents-abc-gpu-1")
            .endMetadata()
            .withNewStatus()
            .addNewReservedFor()
            .withResource("pods")
            .withName("agents-7d9f8c6b5-x2x9k")
            .endReservedFor()
            .withNewAllocation()
            .withNewDevices()
            .addNewResult()
            .withDriver("gpu.gpudra.dev")
            .withPool("node")
            .withDevice("gpu-0")
            .withRequest("gpu")
            .withShareID("s-1")
            .withConsumedCapacity(
                Map.of("memory", new Quantity("8Gi"), "cores", new Quantity("10")))
            .endResult()
            .addNewResult()
            .withDriver("other.example.com")
            .withPool("node")
            .withDevice("nic-0")
            .withRequest("nic")
            .withShareID("s-2")
            .withConsumedCapacity(Map.of("memory", new Quantity("1Gi")))
            .endResult()
            .endDevices()
            .endAllocation()
            .endStatus()
            .build();

    ClaimSharingFacts withPod =
        ClaimSharingFacts.of(
            claim,
            "gpu.gpudra.dev",
            Optional.of(
                pod("agents-7d9f8c6b5-x2x9k", "ReplicaSet", "agents-7d9f8c6b5", "7d9f8c6b5")
                    .getMetadata()));
    ClaimSharingFacts podUnreadable =
        ClaimSharingFacts.of(claim, "gpu.gpudra.dev", Optional.empty());

    assertThat(withPod.shares())
        .containsExactlyEntriesOf(Map.of("s-1", new ClaimSharingFacts.Share(8 * GIB, 10)));
    assertThat(withPod.workload()).isEqualTo(new Workload("team", "Deployment", "agents"));
    assertThat(podUnreadable.workload())
        .isEqualTo(new Workload("team", "Pod", "agents-7d9f8c6b5-x2x9k"));
  }

  private static Pod pod(String name, String ownerKind, String ownerName, String hash) {
    PodBuilder pod =
        new PodBuilder().withNewMetadata().withNamespace("team").withName(name).endMetadata();
    if (hash != null) {
      pod.editMetadata().addToLabels("pod-template-hash", hash).endMetadata();
    }
    if (ownerKind != null) {
      pod.editMetadata()
          .addToOwnerReferences(
              new OwnerReferenceBuilder()
                  .withKind(ownerKind)
                  .withName(ownerName)
                  .withController(true)
                  .build())
          .endMetadata();
    }
    return pod.build();
  }

  private static CheckpointedDevice share(String device, String shareId) {
    return new CheckpointedDevice(
        List.of("gpu"),
        "node",
        device,
        List.of("k8s.gpu.gpudra.dev/claim=" + shareId + "-" + device),
        false,
        "Exclusive",
        null,
        null,
        shareId);
  }

  private static ClaimSharingFacts facts(
      Workload workload, String shareId, long memory, int cores) {
    return new ClaimSharingFacts(
        workload, Map.of(shareId, new ClaimSharingFacts.Share(memory, cores)));
  }

  private static PreparedClaim claim(String uid, String namespace, CheckpointedDevice device) {
    return new PreparedClaim(uid, namespace, uid, ClaimState.PREPARE_COMPLETED, List.of(device));
  }

  private static Checkpoint checkpoint(PreparedClaim... claims) {
    Checkpoint checkpoint = Checkpoint.empty("boot");
    for (PreparedClaim claim : claims) {
      checkpoint = checkpoint.with(claim);
    }
    return checkpoint;
  }
}
