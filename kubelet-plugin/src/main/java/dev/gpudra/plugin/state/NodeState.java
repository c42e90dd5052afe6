package dev.gpudra.plugin.state;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointChange;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The node's prepared claims: the checkpoint in memory, and the changes on their way to disk.
 *
 * <p>Changes ({@link #put}, {@link #remove}) apply in memory at once, under the state lock, so two
 * claims asking for the same device at once cannot both see it free; each returns a sequence
 * number, and {@link #awaitDurable} returns once that change is on disk. Group commit: one waiting
 * thread at a time writes every change queued so far in one append and one fdatasync ({@link
 * CheckpointStore#commit}; of a claim's changes in one batch only the last), the others park; when
 * it is done it wakes them all at once, those whose change it covered return and one of the others
 * writes the next batch. Nobody waits for a disk write while holding the state lock.
 *
 * <p>Invariants: the disk holds a prefix of the in-memory changes, in order (a change is durable
 * only with every change before it); an answer to the kubelet is given only after {@link
 * #awaitDurable} for what it reports. When a commit fails, its waiters get the exception and the
 * next commit rewrites the whole checkpoint from memory.
 *
 * <p>Per claim, {@link #forClaim} serialises the calls for one UID (a repeated prepare waits for
 * the one in flight), also with another plugin instance on this node (the claim's {@link
 * CheckpointLock}), and {@link #effects} serialises node changes across claims, as their
 * implementations expect; neither is held by the state lock's owner.
 *
 * <p>Another instance on the node (a rolling update's overlap) may change the checkpoint file:
 * before answering from memory ({@link #durableClaim}, {@link #durableSnapshot}) or deciding
 * ({@link #locked}) this state checks with one stat whether the file was replaced, and if so takes
 * in what is on disk with its own changes not yet written applied on top; a commit that finds the
 * file changed does the same ({@link CheckpointStore#commit}). Invariant: memory is the content of
 * the store's view it records ({@code applied}) plus the pending changes; a reader that finds the
 * store's view ahead of it waits (I/O lock) for the commit that is applying it, so no decision is
 * made from memory that lacks records the store has already taken in; a view ahead only by this
 * state's own appends needs no wait (memory held those changes before they were written).
 */
public final class NodeState {

  private final CheckpointStore store;
  private final Consumer<String> steps;
  private final ReentrantLock lock = new ReentrantLock();
  private final ReentrantLock io = new ReentrantLock();
  private final ReentrantLock effects = new ReentrantLock();
  private final Map<String, ClaimLock> claimLocks = new HashMap<>();
  // Group commit: set by the one thread writing a batch; the others park in waiters meanwhile.
  private final AtomicBoolean committing = new AtomicBoolean();
  private final Set<Thread> waiters = ConcurrentHashMap.newKeySet();
  // Guarded by lock.
  private Checkpoint current;
  private final List<CheckpointChange> pending = new ArrayList<>();
  private long lastSeq;
  // Per claim UID, the sequence number of its last change not yet known durable.
  private final Map<String, Long> lastChangeOf = new HashMap<>();
  // Written under io, read without.
  private volatile long durableSeq;
  // The store's view that current reflects (current = that file's content + pending). Written
  // under io after current is rebased; while it differs from store.view(), a commit or reload is
  // between the store and memory, and readers wait for it (io) before trusting current.
  private volatile CheckpointStore.View applied;

  private static final class ClaimLock {
    final ReentrantLock lock = new ReentrantLock();
    int users;
  }

  /**
   * @param store where the checkpoint is saved
   * @param initial the checkpoint as recovered at start-up, already saved
   */
  public NodeState(CheckpointStore store, Checkpoint initial) {
    this(store, initial, step -> {});
  }

  /**
   * @param store where the checkpoint is saved
   * @param initial the checkpoint as recovered at start-up, already saved
   * @param steps told {@code checkpoint:appended} between an append's write and its fdatasync (a
   *     crash test's kill point)
   */
  public NodeState(CheckpointStore store, Checkpoint initial, Consumer<String> steps) {
    this.store = Objects.requireNonNull(store, "store");
    this.current = Objects.requireNonNull(initial, "initial");
    this.steps = Objects.requireNonNull(steps, "steps");
    this.applied = store.view();
  }

  /** The current checkpoint, including changes not yet durable; later changes do not affect it. */
  public Checkpoint snapshot() {
    lock.lock();
    try {
      return current;
    } finally {
      lock.unlock();
    }
  }

  /** The current checkpoint once every change in it is durable: safe to answer the kubelet from. */
  public Checkpoint durableSnapshot() {
    refresh();
    Checkpoint now;
    long seq;
    lock.lock();
    try {
      now = current;
      seq = lastSeq;
    } finally {
      lock.unlock();
    }
    awaitDurable(seq);
    return now;
  }

  /**
   * Claim {@code uid}'s entry once it is durable: safe to answer the kubelet from. Waits only for
   * this claim's own changes on their way to disk, never for other claims': a burst of prepares
   * does not queue behind each other's commits to read their own entries.
   */
  public Optional<PreparedClaim> durableClaim(String uid) {
    refresh();
    Optional<PreparedClaim> entry;
    long seq;
    lock.lock();
    try {
      entry = current.claim(uid);
      seq = lastChangeOf.getOrDefault(uid, 0L);
    } finally {
      lock.unlock();
    }
    awaitDurable(seq);
    return entry;
  }

  /** Runs {@code work} holding the state lock: a read-decide-change sequence with no I/O. */
  public <T> T locked(Supplier<T> work) {
    refresh();
    lock.lock();
    try {
      return work.get();
    } finally {
      lock.unlock();
    }
  }

  /** Adds or replaces {@code claim}'s entry in memory; its sequence number for awaitDurable. */
  public long put(PreparedClaim claim) {
    return change(new CheckpointChange.Put(claim));
  }

  /** Removes claim {@code uid}'s entry in memory; its sequence number for awaitDurable. */
  public long remove(String uid) {
    return change(new CheckpointChange.Remove(uid));
  }

  private long change(CheckpointChange change) {
    lock.lock();
    try {
      current = change.applyTo(current);
      pending.add(change);
      lastChangeOf.put(uidOf(change), ++lastSeq);
      return lastSeq;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns once change {@code seq} (and every change before it) is on disk, writing it and every
   * other queued change if no other thread already does. Must not be called holding the state lock.
   *
   * @throws java.io.UncheckedIOException when the write failed; the change stays in memory and the
   *     next commit rewrites the whole checkpoint
   */
  public void awaitDurable(long seq) {
    if (durableSeq >= seq) {
      return;
    }
    if (lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("awaitDurable under the state lock");
    }
    Thread me = Thread.currentThread();
    boolean interrupted = false;
    waiters.add(me);
    try {
      while (durableSeq < seq) {
        if (committing.compareAndSet(false, true)) {
          try {
            if (durableSeq < seq) {
              commitPending();
            }
          } finally {
            committing.set(false);
            wakeWaiters();
          }
        } else {
          // Woken by the commit in flight when it ends (wakeWaiters); parking after it ended
          // returns at once, as its wake-up was already given.
          LockSupport.park(this);
          interrupted |= Thread.interrupted();
        }
      }
    } finally {
      waiters.remove(me);
      if (interrupted) {
        me.interrupt();
      }
    }
  }

  // Every thread waiting for a commit, woken directly: each returns if the commit covered its
  // change, and one of the others commits next. (Waiters queued on a lock would instead be let go
  // one after the other, each only once the one before it has been scheduled.)
  private void wakeWaiters() {
    for (Thread waiter : waiters) {
      LockSupport.unpark(waiter);
    }
  }

  // Writes every queued change in one append and one fdatasync. Only the thread that set
  // committing calls it, under io (refresh takes io too).
  private void commitPending() {
    io.lock();
    try {
      Checkpoint upTo;
      List<CheckpointChange> batch;
      long last;
      lock.lock();
      try {
        upTo = current;
        batch = lastPerClaim(pending);
        pending.clear();
        last = lastSeq;
      } finally {
        lock.unlock();
      }
      // After a failure the store keeps the batch for its next save, so it needs no retry.
      Checkpoint onDisk = store.commit(upTo, batch, () -> steps.accept("checkpoint:appended"));
      if (!onDisk.equals(upTo)) {
        rebase(onDisk);
      }
      applied = store.view();
      durableSeq = last;
      lock.lock();
      try {
        lastChangeOf.values().removeIf(seqOfClaim -> seqOfClaim <= last);
      } finally {
        lock.unlock();
      }
    } finally {
      io.unlock();
    }
  }

  // The batch as written: per claim only its last change (a reservation completed in the same batch
  // is one record), in the order of those last changes. Changes to different claims commute and a
  // claim's last change overwrites its earlier ones, so the file's content after the batch is the
  // same; a crash part-way through an append was never acknowledged.
  private static List<CheckpointChange> lastPerClaim(List<CheckpointChange> changes) {
    Map<String, CheckpointChange> last = new LinkedHashMap<>();
    for (CheckpointChange change : changes) {
      String uid = uidOf(change);
      last.remove(uid);
      last.put(uid, change);
    }
    return List.copyOf(last.values());
  }

  private static String uidOf(CheckpointChange change) {
    return switch (change) {
      case CheckpointChange.Put put -> put.claim().uid();
      case CheckpointChange.Remove remove -> remove.uid();
    };
  }

  // Takes in another instance's changes when the file was replaced since this state's last write.
  // Under io, so that no batch is between memory and disk meanwhile. The store's view is read once,
  // before the stat: when it is the view memory reflects, memory holds what that file held, and the
  // stat says whether the disk still holds that file; when it is not, another thread of this state
  // is between the store and memory (a commit that took in another instance's records and has not
  // rebased yet), and this one waits for it rather than decide from memory that lacks them. A view
  // ahead only by this state's own appends (same file, written by this store) holds nothing memory
  // lacks: the appended changes were in memory before they were written.
  private void refresh() {
    CheckpointStore.View seen = store.view();
    if (memoryHoldsAll(applied, seen) && !store.replacedSince(seen)) {
      return;
    }
    if (lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("refresh under the state lock");
    }
    io.lock();
    try {
      store.reloadIfChanged().ifPresent(this::rebase);
      applied = store.view();
    } finally {
      io.unlock();
    }
  }

  // Whether memory, reflecting view memoryView plus its pending changes, holds everything in the
  // file as the store sees it (seen): the same view, or the same file of this store's own making
  // (the same opening, not merely the same inode, which a later file may reuse) grown only by this
  // state's appends.
  private static boolean memoryHoldsAll(
      CheckpointStore.View memoryView, CheckpointStore.View seen) {
    if (Objects.equals(memoryView, seen)) {
      return true;
    }
    return memoryView != null
        && seen != null
        && memoryView.own()
        && seen.own()
        && memoryView.opening() == seen.opening()
        && memoryView.fileKey().equals(seen.fileKey())
        && seen.size() >= memoryView.size();
  }

  // Memory becomes what is on disk with the changes not yet taken by a commit applied on top.
  private void rebase(Checkpoint onDisk) {
    lock.lock();
    try {
      Checkpoint rebased = onDisk;
      for (CheckpointChange change : pending) {
        rebased = change.applyTo(rebased);
      }
      current = rebased;
    } finally {
      lock.unlock();
    }
  }

  /** Runs {@code work} as the only call for claim {@code uid} in flight. */
  @SuppressWarnings("try") // the lock is held for the block; its handle is not used
  public <T> T forClaim(String uid, Supplier<T> work) {
    ClaimLock claimLock;
    synchronized (claimLocks) {
      claimLock = claimLocks.computeIfAbsent(uid, k -> new ClaimLock());
      claimLock.users++;
    }
    claimLock.lock.lock();
    try (CheckpointLock.Held acrossInstances = store.lock().claim(uid)) {
      return work.get();
    } finally {
      claimLock.lock.unlock();
      synchronized (claimLocks) {
        if (--claimLock.users == 0) {
          claimLocks.remove(uid);
        }
      }
    }
  }

  /**
   * Runs {@code work}, a change to the node beyond files, as the only one in flight, also across
   * instances on this node; {@link #snapshot()} then includes the other instance's durable records
   * (an effect such as an MPS daemon may serve claims of both).
   */
  @SuppressWarnings("try") // the lock is held for the block; its handle is not used
  public <T> T effects(Supplier<T> work) {
    // The effects read the state (snapshot) while they run: waiting for them under the state lock
    // would deadlock (see CheckpointLock for the one order of all locks).
    if (lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("effects under the state lock");
    }
    effects.lock();
    try (CheckpointLock.Held acrossInstances = store.lock().effects()) {
      refresh();
      return work.get();
    } finally {
      effects.unlock();
    }
  }
}
