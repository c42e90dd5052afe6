package dev.gpudra.core.checkpoint;

import java.util.List;
import java.util.Objects;

/**
 * A claim the node has started or finished preparing.
 *
 * @param uid the ResourceClaim's UID, the key the kubelet uses
 * @param namespace namespace of the claim
 * @param name name of the claim
 * @param state how far preparing got
 * @param devices the devices, in allocation order
 */
public record PreparedClaim(
    String uid, String namespace, String name, ClaimState state, List<CheckpointedDevice> devices) {

  /** Requires every field. */
  public PreparedClaim {
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(state, "state");
    devices = List.copyOf(Objects.requireNonNull(devices, "devices"));
    if (uid.isEmpty()) {
      throw new IllegalArgumentException("claim uid must not be empty");
    }
  }

  /** The same claim in {@code next} state. */
  public PreparedClaim withState(ClaimState next) {
    return new PreparedClaim(uid, namespace, name, next, devices);
  }
}
