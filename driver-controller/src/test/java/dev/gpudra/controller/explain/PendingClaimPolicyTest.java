package dev.gpudra.controller.explain;

import static dev.gpudra.testkit.cluster.ClusterFixtures.DRIVER;
import static dev.gpudra.testkit.cluster.ClusterFixtures.ML;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.claims.ClaimClassifier;
import dev.gpudra.testkit.cluster.ClusterFixtures;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which pending claims get an Event, and when again: the reporter's policy alone, no cluster. */
class PendingClaimPolicyTest {

  private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
  private static final ClaimClassifier OURS = new ClaimClassifier(DRIVER, Set.of(DRIVER));

  private final PendingClaimPolicy policy =
      new PendingClaimPolicy(Duration.ofMinutes(1), Duration.ofMinutes(10), 2);

  private static ResourceClaimBuilder claim(String name, String deviceClass, Instant created) {
    return ClusterFixtures.claim(ML, name, deviceClass)
        .editMetadata()
        .withUid("uid-" + name)
        .withCreationTimestamp(created.toString())
        .endMetadata();
  }

  private static ResourceClaim pending(String name, Duration age) {
    return claim(name, DRIVER, NOW.minus(age)).build();
  }

  @Test
  void onlyOurClaimsPendingPastTheThresholdAreDueOldestFirst() {
    ResourceClaim young = pending("young", Duration.ofSeconds(30));
    ResourceClaim old = pending("old", Duration.ofMinutes(5));
    ResourceClaim older = pending("older", Duration.ofMinutes(50));
    ResourceClaim notOurs = claim("fpga", "fpga.example.com", NOW.minusSeconds(3600)).build();
    ResourceClaim allocated =
        ClusterFixtures.allocatedTo(
                claim("done", DRIVER, NOW.minusSeconds(3600)), ClusterFixtures.NODE_A, "gpu-0")
            .build();

    assertThat(policy.due(List.of(young, old, notOurs, allocated, older), OURS, NOW))
        .containsExactly(older, old);
  }

  @Test
  void anExplanationIsPublishedAgainOnlyWhenItChangesOrTheRepeatIsDue() {
    assertThat(policy.shouldPublish("uid-a", "fits nowhere", NOW)).isTrue();
    policy.published("uid-a", "fits nowhere", NOW);

    assertThat(policy.shouldPublish("uid-a", "fits nowhere", NOW.plusSeconds(60))).isFalse();
    assertThat(policy.shouldPublish("uid-a", "fits on node-a", NOW.plusSeconds(60))).isTrue();
    assertThat(policy.shouldPublish("uid-a", "fits nowhere", NOW.plus(Duration.ofMinutes(10))))
        .isTrue();
  }

  @Test
  void aClaimThatStopsPendingIsForgotten() {
    ResourceClaim claim = pending("a", Duration.ofMinutes(5));
    policy.due(List.of(claim), OURS, NOW);
    policy.published("uid-a", "fits nowhere", NOW);

    policy.due(List.of(), OURS, NOW.plusSeconds(1));

    assertThat(policy.shouldPublish("uid-a", "fits nowhere", NOW.plusSeconds(2))).isTrue();
  }

  @Test
  void aPassStopsAtTheEventLimit() {
    assertThat(policy.mayWrite(0)).isTrue();
    assertThat(policy.mayWrite(1)).isTrue();
    assertThat(policy.mayWrite(2)).isFalse();
  }

  @Test
  void longMessagesAreCutToWhatTheApiServerTakes() {
    String longSummary = "x".repeat(PendingClaimPolicy.MAX_MESSAGE + 10);

    assertThat(PendingClaimPolicy.message(longSummary))
        .hasSize(PendingClaimPolicy.MAX_MESSAGE)
        .endsWith("...");
    assertThat(PendingClaimPolicy.message("short")).isEqualTo("short");
  }
}
