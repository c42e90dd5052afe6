package dev.gpudra.plugin.sharing;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Reference counting of what belongs to a GPU rather than to a claim (a time slice, an MPS daemon),
 * from checkpoint records alone: which GPUs a claim's records hold, and whether another claim's
 * records hold one. Pure.
 *
 * @param gpuOf the GPU UUID a device's record holds the setting on, or null when it holds none
 */
record GpuHolders(Function<CheckpointedDevice, String> gpuOf) {

  /** Requires the extractor. */
  GpuHolders {
    Objects.requireNonNull(gpuOf, "gpuOf");
  }

  /** The GPUs {@code claim}'s records hold, in device order, each once. */
  Set<String> gpus(PreparedClaim claim) {
    Set<String> gpus = new LinkedHashSet<>();
    for (CheckpointedDevice device : claim.devices()) {
      String gpu = gpuOf.apply(device);
      if (gpu != null) {
        gpus.add(gpu);
      }
    }
    return gpus;
  }

  /** Whether a claim other than {@code uid} in {@code checkpoint} holds GPU {@code gpu}. */
  boolean heldByOthers(Checkpoint checkpoint, String uid, String gpu) {
    return heldByOthers(checkpoint, uid, gpu, Set.of());
  }

  /**
   * Whether a claim other than {@code uid}, and not one of {@code released}, holds GPU {@code gpu}
   * in {@code checkpoint}.
   */
  boolean heldByOthers(Checkpoint checkpoint, String uid, String gpu, Set<String> released) {
    return checkpoint.entries().stream()
        .filter(c -> !c.uid().equals(uid))
        .filter(c -> !released.contains(c.uid()))
        .flatMap(c -> c.devices().stream())
        .anyMatch(d -> gpu.equals(gpuOf.apply(d)));
  }
}
