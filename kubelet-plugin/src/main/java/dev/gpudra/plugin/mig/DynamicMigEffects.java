package dev.gpudra.plugin.mig;

import dev.gpudra.cdi.MigMinors;
import dev.gpudra.cdi.PreparedDevice;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.DynamicMig;
import dev.gpudra.core.checkpoint.MigInstanceIds;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.nvml.RawGpuInstance;
import dev.gpudra.plugin.prepare.ClaimEffects;
import dev.gpudra.plugin.prepare.ClaimRef;
import dev.gpudra.plugin.prepare.EffectsFailedException;
import dev.gpudra.plugin.prepare.PlannedDevice;
import dev.gpudra.plugin.prepare.PreparePlan;
import dev.gpudra.plugin.prepare.StepListener;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the MIG devices of dynamic MIG at prepare and destroys them at unprepare.
 *
 * <p>Prepare, per new device: a GPU instance of the planned profile at exactly the planned
 * placement, then the compute instance that fills it; the result (ids, MIG device UUID, the
 * instances' {@code nvidia-caps} minors) becomes an existing device for the CDI spec and the
 * checkpoint. When NVML refuses anything (the placement taken, resources short) the claim fails
 * with NVML's function, code and message, and what this call created is destroyed again, so a
 * failed prepare leaves the GPU as it found it. A crash in between is start-up recovery's to clean
 * up ({@link MigRecovery}): the placement was saved in {@code PREPARE_STARTED} first.
 *
 * <p>Unprepare destroys, per device, exactly the compute instance and GPU instance recorded in the
 * checkpoint (compute instance first, as NVML requires), and only while the GPU instance with that
 * id still has the recorded profile and placement (ids are reused after destruction). Instances
 * already gone are skipped, so a repeated unprepare succeeds. Thread-safety: called under the node
 * state lock; {@link MigControl} serialises NVML.
 */
public final class DynamicMigEffects implements ClaimEffects {

  private static final Logger LOG = LoggerFactory.getLogger(DynamicMigEffects.class);

  private final MigControl mig;
  private final MigMinors minors;
  private final StepListener steps;

  /**
   * @param mig the node's MIG instances
   * @param minors the node's MIG capability minors
   * @param steps told of every instance created or destroyed
   */
  public DynamicMigEffects(MigControl mig, MigMinors minors, StepListener steps) {
    this.mig = Objects.requireNonNull(mig, "mig");
    this.minors = Objects.requireNonNull(minors, "minors");
    this.steps = Objects.requireNonNull(steps, "steps");
  }

  /** A GPU instance this call created, and its compute instance once created (else -1). */
  private record Made(String gpuUuid, int gpuInstanceId, int computeInstanceId) {}

  @Override
  public PreparePlan apply(PreparePlan plan) {
    List<PlannedDevice> devices = new ArrayList<>();
    Deque<Made> made = new ArrayDeque<>();
    try {
      for (PlannedDevice device : plan.devices()) {
        devices.add(
            switch (device) {
              case PlannedDevice.Existing existing -> existing;
              case PlannedDevice.NewMig newMig -> create(plan.claim(), newMig, made);
            });
      }
    } catch (RuntimeException e) {
      destroyMade(made, e);
      throw e;
    }
    return plan.withDevices(devices);
  }

  /** Only a plan with a MIG device still to make changes the node. */
  @Override
  public boolean changesNode(PreparePlan plan) {
    return plan.devices().stream().anyMatch(PlannedDevice.NewMig.class::isInstance);
  }

  private PlannedDevice.Existing create(
      ClaimRef claim, PlannedDevice.NewMig device, Deque<Made> made) {
    CheckpointedDevice record = device.record();
    DynamicMig where = record.dynamicMig();
    String gpu = where.parentUuid();
    int gi;
    try {
      gi =
          mig.createGpuInstance(
              gpu,
              where.profileId(),
              new MigPlacement(where.placementStart(), where.placementSize()));
    } catch (MigControlException e) {
      throw failed(claim, record, "its GPU instance", e);
    }
    made.push(new Made(gpu, gi, -1));
    steps.reached("prepare:gpu-instance-created");
    int ci;
    try {
      ci = mig.createFullComputeInstance(gpu, gi);
    } catch (MigControlException e) {
      throw failed(claim, record, "its compute instance in GPU instance " + gi, e);
    }
    made.pop();
    made.push(new Made(gpu, gi, ci));
    steps.reached("prepare:compute-instance-created");

    String uuid =
        mig.migDeviceUuid(gpu, gi, ci)
            .orElseThrow(
                () ->
                    failed(
                        claim,
                        record,
                        "its MIG device: NVML lists none for GPU instance "
                            + gi
                            + ", compute instance "
                            + ci));
    int giCap =
        minors
            .gpuInstance(device.parentMinor(), gi)
            .orElseThrow(() -> failed(claim, record, capability(device, gi, -1)));
    int ciCap =
        minors
            .computeInstance(device.parentMinor(), gi, ci)
            .orElseThrow(() -> failed(claim, record, capability(device, gi, ci)));
    LOG.info(
        "created MIG device {} for claim {}: GPU instance {}, compute instance {}, {}",
        record.deviceName(),
        claim,
        gi,
        ci,
        uuid);
    return new PlannedDevice.Existing(
        record.withDynamicMig(where.withInstance(new MigInstanceIds(gi, ci, uuid))),
        new PreparedDevice.MigDevice(
            record.deviceName(),
            device.parentMinor(),
            gpu,
            uuid,
            gi,
            ci,
            giCap,
            ciCap,
            device.sharing()));
  }

  private static String capability(PlannedDevice.NewMig device, int gi, int ci) {
    String path =
        "gpu" + device.parentMinor() + "/gi" + gi + (ci < 0 ? "" : "/ci" + ci) + "/access";
    return "its device node: /proc/driver/nvidia-caps/mig-minors lists no " + path;
  }

  private static EffectsFailedException failed(
      ClaimRef claim, CheckpointedDevice record, String what, MigControlException e) {
    return new EffectsFailedException(message(claim, record, what) + ": " + e.getMessage(), e);
  }

  private static EffectsFailedException failed(
      ClaimRef claim, CheckpointedDevice record, String what) {
    return new EffectsFailedException(message(claim, record, what), null);
  }

  private static String message(ClaimRef claim, CheckpointedDevice record, String what) {
    DynamicMig where = record.dynamicMig();
    return "claim "
        + claim
        + ": creating MIG device "
        + record.deviceName()
        + " (profile id "
        + where.profileId()
        + " at memory slices "
        + where.placementStart()
        + "-"
        + (where.placementStart() + where.placementSize() - 1)
        + " of GPU "
        + where.parentUuid()
        + ") failed at "
        + what;
  }

  // Undoes this call's creations, newest first; what cannot be undone is recovery's at next start.
  private void destroyMade(Deque<Made> made, RuntimeException cause) {
    for (Made m : made) {
      try {
        if (m.computeInstanceId() >= 0) {
          mig.destroyComputeInstance(m.gpuUuid(), m.gpuInstanceId(), m.computeInstanceId());
        }
        mig.destroyGpuInstance(m.gpuUuid(), m.gpuInstanceId());
      } catch (RuntimeException e) {
        LOG.error(
            "could not destroy GPU instance {} on {} after a failed prepare; it stays until the"
                + " plugin restarts",
            m.gpuInstanceId(),
            m.gpuUuid(),
            e);
        cause.addSuppressed(e);
      }
    }
  }

  @Override
  public void undo(PreparedClaim claim) {
    List<CheckpointedDevice> devices = new ArrayList<>(claim.devices());
    Collections.reverse(devices);
    for (CheckpointedDevice device : devices) {
      DynamicMig recorded = device.dynamicMig();
      // Without a recorded instance nothing of this claim exists: a failed apply destroyed what it
      // made, and start-up recovery what a crash left.
      if (recorded != null && recorded.instance() != null) {
        destroy(claim, device.deviceName(), recorded);
      }
    }
  }

  private void destroy(PreparedClaim claim, String deviceName, DynamicMig recorded) {
    String gpu = recorded.parentUuid();
    MigInstanceIds ids = recorded.instance();
    Optional<RawGpuInstance> gi = mig.gpuInstance(gpu, ids.gpuInstanceId());
    if (gi.isEmpty()) {
      LOG.info("MIG device {} of claim {} is already gone", deviceName, claim.uid());
      return;
    }
    if (!MigRecovery.sameGpuInstance(gi.get(), recorded)) {
      LOG.warn(
          "GPU instance {} on {} is no longer MIG device {} of claim {} (it has profile id {} at"
              + " memory slices {}+{}); leaving it",
          ids.gpuInstanceId(),
          gpu,
          deviceName,
          claim.uid(),
          gi.get().profileId(),
          gi.get().placement().start(),
          gi.get().placement().size());
      return;
    }
    if (gi.get().computeInstances().stream().anyMatch(c -> c.id() == ids.computeInstanceId())) {
      mig.destroyComputeInstance(gpu, ids.gpuInstanceId(), ids.computeInstanceId());
      steps.reached("unprepare:compute-instance-destroyed");
    }
    mig.destroyGpuInstance(gpu, ids.gpuInstanceId());
    steps.reached("unprepare:gpu-instance-destroyed");
    LOG.info(
        "destroyed MIG device {} of claim {}: GPU instance {}, compute instance {}",
        deviceName,
        claim.uid(),
        ids.gpuInstanceId(),
        ids.computeInstanceId());
  }
}
