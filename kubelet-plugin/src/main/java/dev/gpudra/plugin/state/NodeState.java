package dev.gpudra.plugin.state;

import dev.gpudra.core.checkpoint.Checkpoint;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The node's prepared claims: the checkpoint in memory, always equal to the one on disk.
 *
 * <p>Thread-safety: every read-decide-write sequence runs under one lock via {@link #locked}, so
 * two claims asking for the same device at once cannot both see it free, and saves never
 * interleave. The lock is held only for local work (checks, the checkpoint and CDI spec writes),
 * never across calls to the API server.
 */
public final class NodeState {

  private final CheckpointStore store;
  private final ReentrantLock lock = new ReentrantLock();
  private Checkpoint current;

  /**
   * @param store where the checkpoint is saved
   * @param initial the checkpoint as recovered at start-up, already saved
   */
  public NodeState(CheckpointStore store, Checkpoint initial) {
    this.store = Objects.requireNonNull(store, "store");
    this.current = Objects.requireNonNull(initial, "initial");
  }

  /** The current checkpoint; a snapshot that later changes do not affect. */
  public Checkpoint snapshot() {
    lock.lock();
    try {
      return current;
    } finally {
      lock.unlock();
    }
  }

  /** Runs {@code work} holding the state lock; {@code work} may call {@link #save}. */
  public <T> T locked(Supplier<T> work) {
    lock.lock();
    try {
      return work.get();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Makes {@code next} the checkpoint, on disk first: when saving fails the in-memory state stays
   * as it was, matching the disk. Must be called under {@link #locked}.
   */
  public void save(Checkpoint next) {
    if (!lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("NodeState.save outside locked()");
    }
    store.save(next);
    current = next;
  }
}
