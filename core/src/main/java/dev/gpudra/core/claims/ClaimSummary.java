package dev.gpudra.core.claims;

import java.time.Instant;
import java.util.Objects;

/**
 * A claim reduced to what metrics count: bounded labels and the creation time.
 *
 * @param namespace the claim's namespace
 * @param deviceClass the device class its first request asks for ({@code mixed} when requests ask
 *     for different classes)
 * @param state pending, allocated or reserved
 * @param workload the kind of workload using it
 * @param created creation time
 */
public record ClaimSummary(
    String namespace,
    String deviceClass,
    ClaimState state,
    WorkloadKind workload,
    Instant created) {
  public ClaimSummary {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(deviceClass, "deviceClass");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(workload, "workload");
    Objects.requireNonNull(created, "created");
  }
}
