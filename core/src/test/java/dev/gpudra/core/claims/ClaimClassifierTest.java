package dev.gpudra.core.claims;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClaimClassifierTest {

  private static final ClaimClassifier CLASSIFIER =
      new ClaimClassifier("gpu.gpudra.dev", Set.of("gpu.gpudra.dev", "mig.gpudra.dev"));

  private static ResourceClaimBuilder claim(String deviceClass) {
    return new ResourceClaimBuilder()
        .withNewMetadata()
        .withName("c")
        .withNamespace("ml")
        .withCreationTimestamp("2026-11-27T10:00:00Z")
        .endMetadata()
        .withNewSpec()
        .withNewDevices()
        .addNewRequest()
        .withName("gpu")
        .withNewExactly()
        .withDeviceClassName(deviceClass)
        .endExactly()
        .endRequest()
        .endDevices()
        .endSpec();
  }

  @Test
  void claimsAskingForOurClassesAreOursAndOthersAreNot() {
    assertThat(CLASSIFIER.isOurs(claim("mig.gpudra.dev").build())).isTrue();
    assertThat(CLASSIFIER.isOurs(claim("fpga.example.com").build())).isFalse();
  }

  @Test
  void aClaimHoldingOurDevicesIsOursWhateverItsClass() {
    ResourceClaim claim =
        claim("custom-class")
            .withNewStatus()
            .withNewAllocation()
            .withNewDevices()
            .addNewResult()
            .withDriver("gpu.gpudra.dev")
            .withPool("n1")
            .withDevice("gpu-0")
            .withRequest("gpu")
            .endResult()
            .endDevices()
            .endAllocation()
            .endStatus()
            .build();

    assertThat(CLASSIFIER.isOurs(claim)).isTrue();
  }

  @Test
  void pendingAllocatedAndReservedFollowTheStatus() {
    ResourceClaim pending = claim("gpu.gpudra.dev").build();
    ResourceClaim allocated =
        claim("gpu.gpudra.dev")
            .withNewStatus()
            .withNewAllocation()
            .endAllocation()
            .endStatus()
            .build();
    ResourceClaim reserved =
        claim("gpu.gpudra.dev")
            .withNewStatus()
            .withNewAllocation()
            .endAllocation()
            .addNewReservedFor()
            .withResource("pods")
            .withName("p")
            .withUid("u")
            .endReservedFor()
            .endStatus()
            .build();

    assertThat(ClaimState.of(pending)).isEqualTo(ClaimState.PENDING);
    assertThat(ClaimState.of(allocated)).isEqualTo(ClaimState.ALLOCATED);
    assertThat(ClaimState.of(reserved)).isEqualTo(ClaimState.RESERVED);
  }

  @Test
  void summaryTakesTheWorkloadFromTheReservingPodElseTheOwningPod() {
    ResourceClaim reserved =
        claim("gpu.gpudra.dev")
            .editMetadata()
            .addNewOwnerReference()
            .withKind("Pod")
            .withName("owner")
            .withApiVersion("v1")
            .withUid("o")
            .endOwnerReference()
            .endMetadata()
            .withNewStatus()
            .withNewAllocation()
            .endAllocation()
            .addNewReservedFor()
            .withResource("pods")
            .withName("batch-pod")
            .withUid("u")
            .endReservedFor()
            .endStatus()
            .build();
    Map<String, Map<String, String>> pods =
        Map.of(
            "batch-pod", Map.of("batch.amazonaws.com/job-id", "j-1"),
            "owner", Map.of("gpu.gpudra.dev/workload", "agent"));

    ClaimSummary summary =
        CLASSIFIER.summarize(reserved, name -> Optional.ofNullable(pods.get(name)));

    assertThat(summary)
        .isEqualTo(
            new ClaimSummary(
                "ml",
                "gpu.gpudra.dev",
                ClaimState.RESERVED,
                WorkloadKind.AWS_BATCH,
                Instant.parse("2026-11-27T10:00:00Z")));
    ResourceClaim owned =
        new ResourceClaimBuilder(reserved).editStatus().withReservedFor().endStatus().build();
    assertThat(CLASSIFIER.summarize(owned, name -> Optional.ofNullable(pods.get(name))).workload())
        .isEqualTo(WorkloadKind.AGENT);
    assertThat(CLASSIFIER.summarize(owned, name -> Optional.empty()).workload())
        .isEqualTo(WorkloadKind.OTHER);
  }

  @ParameterizedTest
  @CsvSource({
    "batch.amazonaws.com/job-id, j-42,  AWS_BATCH",
    "gpu.gpudra.dev/workload,    agent, AGENT",
    "gpu.gpudra.dev/workload,    train, OTHER",
    "app,                        web,   OTHER",
  })
  void workloadKindFromPodLabels(String key, String value, WorkloadKind expected) {
    assertThat(WorkloadKind.of(Map.of(key, value))).isEqualTo(expected);
  }
}
