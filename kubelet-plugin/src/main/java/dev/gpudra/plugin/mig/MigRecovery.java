package dev.gpudra.plugin.mig;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.DynamicMig;
import dev.gpudra.core.checkpoint.MigInstanceIds;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.nvml.RawComputeInstance;
import dev.gpudra.core.device.nvml.RawGpuInstance;
import dev.gpudra.core.mig.MigManagement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up recovery of dynamic MIG, after {@code state.CheckpointRecovery} has brought checkpoint
 * and CDI specs into agreement and before any socket serves. Afterwards the MIG instances on the
 * GPUs the plugin owns are exactly those of the completed claims.
 *
 * <p>Ownership: with dynamic MIG the plugin owns the GPU instances of every GPU it publishes MIG
 * placements for ({@link MigManagement#ownedGpus}). The slices offer every placement of such a GPU
 * as free, so an instance no prepared claim owns would only make the scheduler's allocations fail;
 * it is destroyed (an instance NVML refuses to destroy, for example because a process still uses
 * it, is logged and left). GPUs of other modes, and every GPU with static MIG, are never touched.
 *
 * <ul>
 *   <li>A completed claim keeps its MIG devices when each recorded GPU instance still exists with
 *       its profile, placement and compute instance. A completed entry rebuilt from the API server
 *       (the checkpoint was lost) records placements only; the instance found there is adopted.
 *   <li>A completed claim with a device gone (a crash inside unprepare, after destroying) goes back
 *       to {@code PREPARE_STARTED} with its spec removed, as if its spec were lost.
 *   <li>A claim in {@code PREPARE_STARTED} (a crash inside prepare) keeps its entry but nothing on
 *       the GPU: the kubelet's repeated prepare creates its devices anew, its unprepare just drops
 *       the entry.
 * </ul>
 */
public final class MigRecovery {

  private static final Logger LOG = LoggerFactory.getLogger(MigRecovery.class);

  private MigRecovery() {}

  /** Whether {@code gi} sits where {@code recorded} says and has its profile. */
  static boolean sameGpuInstance(RawGpuInstance gi, DynamicMig recorded) {
    return gi.profileId() == recorded.profileId()
        && gi.placement().start() == recorded.placementStart()
        && gi.placement().size() == recorded.placementSize();
  }

  /**
   * What recovery decided.
   *
   * @param checkpoint the checkpoint to start with (not yet saved)
   * @param lostSpecs UIDs of claims whose CDI specs must go: they name MIG devices that are gone
   */
  public record Recovered(Checkpoint checkpoint, List<String> lostSpecs) {
    /** Copies the list. */
    public Recovered {
      lostSpecs = List.copyOf(lostSpecs);
    }
  }

  /**
   * Reconciles {@code checkpoint} with the instances on {@code gpus}, destroying those no completed
   * claim owns.
   */
  public static Recovered recover(Checkpoint checkpoint, MigControl mig, List<Gpu> gpus) {
    Map<String, List<RawGpuInstance>> found = new LinkedHashMap<>();
    for (Gpu gpu : gpus) {
      try {
        found.put(gpu.uuid(), mig.gpuInstances(gpu.uuid()));
      } catch (MigControlException e) {
        LOG.error(
            "cannot list the MIG instances of GPU {} ({}); leaving them and its claims as they are",
            gpu.minor(),
            gpu.uuid(),
            e);
      }
    }

    Checkpoint next = checkpoint;
    List<String> lostSpecs = new ArrayList<>();
    Set<String> owned = new HashSet<>();
    for (PreparedClaim claim : checkpoint.entries()) {
      if (claim.devices().stream().noneMatch(d -> d.dynamicMig() != null)) {
        continue;
      }
      if (claim.state() == ClaimState.PREPARE_COMPLETED) {
        Optional<PreparedClaim> intact = intact(claim, found, mig);
        if (intact.isPresent()) {
          next = next.with(intact.get());
          intact.get().devices().stream()
              .map(CheckpointedDevice::dynamicMig)
              .filter(m -> m != null && m.instance() != null)
              .forEach(m -> owned.add(key(m.parentUuid(), m.instance().gpuInstanceId())));
          continue;
        }
        LOG.warn(
            "claim {}/{} ({}) was completed but a MIG device of it is gone; removing its spec and"
                + " its other MIG devices, it will be prepared again",
            claim.namespace(),
            claim.name(),
            claim.uid());
        lostSpecs.add(claim.uid());
      }
      next = next.with(withoutInstances(claim));
    }

    int destroyed = 0;
    for (Map.Entry<String, List<RawGpuInstance>> gpu : found.entrySet()) {
      for (RawGpuInstance gi : gpu.getValue()) {
        if (!owned.contains(key(gpu.getKey(), gi.id())) && destroy(mig, gpu.getKey(), gi)) {
          destroyed++;
        }
      }
    }
    LOG.info(
        "dynamic MIG: {} GPUs owned, {} GPU instances held by prepared claims, {} destroyed",
        gpus.size(),
        owned.size(),
        destroyed);
    return new Recovered(next, lostSpecs);
  }

  // The claim with its recorded (or adopted) instances when every MIG device of it exists.
  private static Optional<PreparedClaim> intact(
      PreparedClaim claim, Map<String, List<RawGpuInstance>> found, MigControl mig) {
    List<CheckpointedDevice> devices = new ArrayList<>();
    for (CheckpointedDevice device : claim.devices()) {
      DynamicMig recorded = device.dynamicMig();
      if (recorded == null) {
        devices.add(device);
        continue;
      }
      List<RawGpuInstance> instances = found.get(recorded.parentUuid());
      if (instances == null) {
        devices.add(device); // its GPU could not be listed: nothing to decide on
        continue;
      }
      Optional<MigInstanceIds> ids = locate(recorded, instances, mig);
      if (ids.isEmpty()) {
        return Optional.empty();
      }
      devices.add(device.withDynamicMig(recorded.withInstance(ids.get())));
    }
    return Optional.of(
        new PreparedClaim(
            claim.uid(), claim.namespace(), claim.name(), claim.state(), List.copyOf(devices)));
  }

  private static Optional<MigInstanceIds> locate(
      DynamicMig recorded, List<RawGpuInstance> instances, MigControl mig) {
    if (recorded.instance() != null) {
      MigInstanceIds ids = recorded.instance();
      boolean present =
          instances.stream()
              .anyMatch(
                  gi ->
                      gi.id() == ids.gpuInstanceId()
                          && sameGpuInstance(gi, recorded)
                          && gi.computeInstances().stream()
                              .anyMatch(ci -> ci.id() == ids.computeInstanceId()));
      return present ? Optional.of(ids) : Optional.empty();
    }
    // Rebuilt from the API server: the claim's placement is known, the ids are not.
    for (RawGpuInstance gi : instances) {
      if (sameGpuInstance(gi, recorded) && gi.computeInstances().size() == 1) {
        int ci = gi.computeInstances().getFirst().id();
        Optional<String> uuid = mig.migDeviceUuid(recorded.parentUuid(), gi.id(), ci);
        if (uuid.isPresent()) {
          return Optional.of(new MigInstanceIds(gi.id(), ci, uuid.get()));
        }
      }
    }
    return Optional.empty();
  }

  private static PreparedClaim withoutInstances(PreparedClaim claim) {
    List<CheckpointedDevice> devices =
        claim.devices().stream()
            .map(
                d ->
                    d.dynamicMig() == null ? d : d.withDynamicMig(d.dynamicMig().withoutInstance()))
            .toList();
    return new PreparedClaim(
        claim.uid(), claim.namespace(), claim.name(), ClaimState.PREPARE_STARTED, devices);
  }

  private static boolean destroy(MigControl mig, String gpuUuid, RawGpuInstance gi) {
    try {
      for (RawComputeInstance ci : gi.computeInstances()) {
        mig.destroyComputeInstance(gpuUuid, gi.id(), ci.id());
      }
      mig.destroyGpuInstance(gpuUuid, gi.id());
      LOG.info(
          "destroyed GPU instance {} (profile id {}, memory slices {}+{}, {} compute instances) on"
              + " GPU {}: no prepared claim owns it",
          gi.id(),
          gi.profileId(),
          gi.placement().start(),
          gi.placement().size(),
          gi.computeInstances().size(),
          gpuUuid);
      return true;
    } catch (MigControlException e) {
      LOG.error(
          "cannot destroy GPU instance {} on GPU {}, which no prepared claim owns: {}; placements"
              + " overlapping it will fail to prepare",
          gi.id(),
          gpuUuid,
          e.getMessage());
      return false;
    }
  }

  private static String key(String gpuUuid, int gpuInstanceId) {
    return gpuUuid + "/" + gpuInstanceId;
  }
}
