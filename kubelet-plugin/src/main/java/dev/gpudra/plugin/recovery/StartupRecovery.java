package dev.gpudra.plugin.recovery;

import dev.gpudra.cdi.io.CdiSpecWriter;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.mig.MigManagement;
import dev.gpudra.plugin.mig.MigControl;
import dev.gpudra.plugin.mig.MigRecovery;
import dev.gpudra.plugin.state.CheckpointLock;
import dev.gpudra.plugin.state.CheckpointRecovery;
import dev.gpudra.plugin.state.CheckpointStore;
import dev.gpudra.plugin.state.ClaimRebuilder;
import dev.gpudra.plugin.state.ClaimSpecSource;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Everything the plugin recovers at start-up, in order, before any socket serves, so that the first
 * call sees consistent state: the checkpoint agreed with the CDI specs ({@link
 * CheckpointRecovery}), then, with dynamic MIG, the MIG instances of the GPUs the plugin owns
 * agreed with the checkpoint ({@link MigRecovery}). Never fails because of what it finds, only on
 * I/O errors.
 *
 * @param store the checkpoint
 * @param specs the CDI spec directory
 * @param bootId this boot's id
 * @param rebuilder rebuilds entries of a lost checkpoint from the API server
 * @param specSource builds again the missing CDI spec of a completed claim
 * @param mig the node's MIG instances with dynamic MIG; empty without
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
    Consumer<String> steps) {

  /** Requires every part. */
  public StartupRecovery {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(specs, "specs");
    Objects.requireNonNull(bootId, "bootId");
    Objects.requireNonNull(rebuilder, "rebuilder");
    Objects.requireNonNull(specSource, "specSource");
    Objects.requireNonNull(mig, "mig");
    Objects.requireNonNull(steps, "steps");
  }

  /** Recovery that tells nobody of its steps and writes no missing spec again. */
  public StartupRecovery(
      CheckpointStore store,
      CdiSpecWriter specs,
      String bootId,
      ClaimRebuilder rebuilder,
      Optional<MigControl> mig) {
    this(store, specs, bootId, rebuilder, ClaimSpecSource.NONE, mig, step -> {});
  }

  /**
   * Recovers the node.
   *
   * @return the checkpoint the plugin starts with, already saved, with no spec left for a claim
   *     whose MIG devices are gone
   */
  @SuppressWarnings("try") // the lock is held for the block; its handle is not used
  public Checkpoint recover(NodeInventory inventory) {
    // Another instance on the node commits only once the whole of recovery is on disk.
    try (CheckpointLock.Held held = store.lock().store()) {
      return recoverLocked(inventory);
    }
  }

  private Checkpoint recoverLocked(NodeInventory inventory) {
    Checkpoint recovered =
        CheckpointRecovery.recover(store, specs, bootId, rebuilder, specSource, steps);
    if (mig.isEmpty()) {
      return recovered;
    }
    MigRecovery.Recovered reconciled =
        MigRecovery.recover(recovered, mig.get(), new MigManagement(true).ownedGpus(inventory));
    if (!reconciled.checkpoint().equals(recovered)) {
      // Entries first: a crash before the specs go leaves PREPARE_STARTED entries with specs,
      // which the kubelet's next prepare rewrites and its unprepare deletes.
      store.save(reconciled.checkpoint());
      steps.accept("recovery:mig-saved");
    }
    reconciled.lostSpecs().forEach(specs::delete);
    return reconciled.checkpoint();
  }
}
