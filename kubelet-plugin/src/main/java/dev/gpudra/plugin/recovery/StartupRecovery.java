package dev.gpudra.plugin.recovery;

import dev.gpudra.cdi.io.CdiSpecWriter;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.mig.MigManagement;
import dev.gpudra.plugin.mig.MigControl;
import dev.gpudra.plugin.mig.MigRecovery;
import dev.gpudra.plugin.sharing.MpsControl;
import dev.gpudra.plugin.sharing.MpsRecovery;
import dev.gpudra.plugin.state.CheckpointLock;
import dev.gpudra.plugin.state.CheckpointRecovery;
import dev.gpudra.plugin.state.CheckpointStore;
import dev.gpudra.plugin.state.ClaimRebuilder;
import dev.gpudra.plugin.state.ClaimSpecSource;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Everything the plugin recovers at start-up, in order, before any socket serves, so that the first
 * call sees consistent state: the checkpoint agreed with the CDI specs ({@link
 * CheckpointRecovery}), then, with dynamic MIG, the MIG instances of the GPUs the plugin owns
 * agreed with the checkpoint ({@link MigRecovery}), then the MPS daemons ({@link MpsRecovery}).
 * Never fails because of what it finds, only on I/O errors.
 *
 * <p>Another plugin instance may serve the node meanwhile (a rolling update's overlap). Recovery
 * holds the effects lock and the store lock throughout, in that order ({@link CheckpointLock}), so
 * that instance neither changes the node nor commits until recovery is on disk; the claims it is
 * preparing or unpreparing at that moment (their claim locks held) are left as they are, with the
 * MIG instances and MPS daemons of their GPUs.
 *
 * @param store the checkpoint
 * @param specs the CDI spec directory
 * @param bootId this boot's id
 * @param rebuilder rebuilds entries of a lost checkpoint from the API server
 * @param specSource builds again the missing CDI spec of a completed claim
 * @param mig the node's MIG instances with dynamic MIG; empty without
 * @param mps the node's MPS daemons; empty to leave them alone
 * @param steps told of each durable step of recovery (a crash test's kill points); recovery
 *     survives a crash at any of them, so a crash during start-up never loops
 */
public record StartupRecovery(
    CheckpointStore store,
    CdiSpecWriter specs,
    String bootId,
    ClaimRebuilder rebuilder,
    ClaimSpecSource specSource,
    Optional<MigControl> mig,
    Optional<MpsControl> mps,
    Consumer<String> steps) {

  /** Requires every part. */
  public StartupRecovery {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(specs, "specs");
    Objects.requireNonNull(bootId, "bootId");
    Objects.requireNonNull(rebuilder, "rebuilder");
    Objects.requireNonNull(specSource, "specSource");
    Objects.requireNonNull(mig, "mig");
    Objects.requireNonNull(mps, "mps");
    Objects.requireNonNull(steps, "steps");
  }

  /** Recovery that tells nobody of its steps, writes no missing spec again, leaves MPS alone. */
  public StartupRecovery(
      CheckpointStore store,
      CdiSpecWriter specs,
      String bootId,
      ClaimRebuilder rebuilder,
      Optional<MigControl> mig) {
    this(store, specs, bootId, rebuilder, ClaimSpecSource.NONE, mig, Optional.empty(), step -> {});
  }

  /**
   * Recovers the node.
   *
   * @return the checkpoint the plugin starts with, already saved, with no spec left for a claim
   *     whose MIG devices are gone
   */
  @SuppressWarnings("try") // the locks are held for the block; their handles are not used
  public Checkpoint recover(NodeInventory inventory) {
    // Another instance on the node changes the node and commits only once the whole of recovery
    // is done and on disk.
    try (CheckpointLock.Held node = store.lock().effects();
        CheckpointLock.Held held = store.lock().store()) {
      return recoverLocked(inventory);
    }
  }

  private Checkpoint recoverLocked(NodeInventory inventory) {
    Checkpoint recovered =
        CheckpointRecovery.recover(store, specs, bootId, rebuilder, specSource, steps);
    // Under both locks: a claim idle now stays so for every decision below (its next step needs
    // one of them), and a busy one's entry is as it was read.
    Set<String> busy = new HashSet<>();
    Set<String> handsOff = new HashSet<>();
    for (PreparedClaim claim : recovered.entries()) {
      if (!store.lock().idle(claim.uid())) {
        busy.add(claim.uid());
        handsOff.addAll(gpusOf(claim));
      }
    }
    Checkpoint result = recovered;
    if (mig.isPresent()) {
      // Claims on a GPU left alone keep their entries as they are, with their instances.
      Checkpoint reconcilable = recovered;
      for (PreparedClaim claim : recovered.entries()) {
        if (busy.contains(claim.uid()) || !Collections.disjoint(gpusOf(claim), handsOff)) {
          reconcilable = reconcilable.without(claim.uid());
        }
      }
      List<Gpu> owned =
          new MigManagement(true)
              .ownedGpus(inventory).stream().filter(g -> !handsOff.contains(g.uuid())).toList();
      MigRecovery.Recovered reconciled = MigRecovery.recover(reconcilable, mig.get(), owned);
      Checkpoint merged = reconciled.checkpoint();
      for (PreparedClaim aside : recovered.entries()) {
        if (reconcilable.claim(aside.uid()).isEmpty()) {
          merged = merged.with(aside);
        }
      }
      if (!merged.equals(recovered)) {
        // Entries first: a crash before the specs go leaves PREPARE_STARTED entries with specs,
        // which the kubelet's next prepare rewrites and its unprepare deletes.
        store.save(merged);
        steps.accept("recovery:mig-saved");
      }
      reconciled.lostSpecs().forEach(specs::delete);
      result = merged;
    }
    // Daemons follow the recovered checkpoint; with MPS off, leftovers of an earlier configuration
    // are stopped all the same (no entry records them then).
    Checkpoint idle = result;
    for (String uid : busy) {
      idle = idle.without(uid);
    }
    Checkpoint daemonsFor = idle;
    mps.ifPresent(control -> MpsRecovery.recover(daemonsFor, handsOff, control, steps));
    return result;
  }

  // The GPUs whose MIG instances or MPS daemon a claim's devices use.
  private static Set<String> gpusOf(PreparedClaim claim) {
    Set<String> gpus = new HashSet<>();
    for (CheckpointedDevice device : claim.devices()) {
      if (device.dynamicMig() != null) {
        gpus.add(device.dynamicMig().parentUuid());
      }
      if (device.mps() != null) {
        gpus.add(device.mps().gpuUuid());
      }
    }
    return gpus;
  }
}
