package dev.gpudra.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit for one directory's entries: a create, rename or unlink in the directory survives a
 * power loss once the directory itself is fsync'ed after it. {@link #request} returns at once with
 * a future that completes when an fsync of the directory begun after the request has returned;
 * requests made while one fsync runs share the next one. Concurrent writers in one directory thus
 * pay one directory fsync between them, and a caller may do other I/O (its own fsync elsewhere)
 * while its directory sync runs.
 *
 * <p>The fsync runs on a virtual thread started when requests wait and ending when none do: an idle
 * directory holds no thread, and nothing needs closing. Thread-safe.
 */
public final class DirectorySync {

  private final Path dir;
  private final Syncer syncer;
  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock: the requests the next fsync covers, and whether a syncing thread runs.
  private List<CompletableFuture<Void>> waiting = new ArrayList<>();
  private boolean running;

  /**
   * @param dir the directory whose entries are synced; need not exist yet
   */
  public DirectorySync(Path dir) {
    this(dir, AtomicFileWriter::syncDirectory);
  }

  DirectorySync(Path dir, Syncer syncer) {
    this.dir = Objects.requireNonNull(dir, "dir");
    this.syncer = Objects.requireNonNull(syncer, "syncer");
  }

  /** One directory fsync; tests substitute one they can hold. */
  @FunctionalInterface
  interface Syncer {
    void sync(Path dir) throws IOException;
  }

  /** The directory synced. */
  public Path dir() {
    return dir;
  }

  /**
   * Asks for a directory fsync covering every change made in the directory before this call.
   *
   * @return completes once such an fsync returned; exceptionally with its {@link IOException} (as
   *     the cause of a {@link CompletionException} on join) when it failed
   */
  public CompletableFuture<Void> request() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    boolean start;
    lock.lock();
    try {
      waiting.add(done);
      start = !running;
      running = true;
    } finally {
      lock.unlock();
    }
    if (start) {
      Thread.ofVirtual().name("sync " + dir).start(this::drain);
    }
    return done;
  }

  /**
   * Returns once the directory's entries as they are now are durable.
   *
   * @throws UncheckedIOException when the fsync failed
   */
  public void sync() {
    await(request(), dir);
  }

  /**
   * Waits for {@code requested}, a future of {@link #request}.
   *
   * @throws UncheckedIOException when its fsync failed
   */
  public static void await(CompletableFuture<Void> requested, Path dir) {
    try {
      requested.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw new UncheckedIOException("syncing directory " + dir + " failed", io);
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw e;
    }
  }

  // Every fsync covers exactly the requests queued before it began.
  private void drain() {
    while (true) {
      List<CompletableFuture<Void>> batch;
      lock.lock();
      try {
        if (waiting.isEmpty()) {
          running = false;
          return;
        }
        batch = waiting;
        waiting = new ArrayList<>();
      } finally {
        lock.unlock();
      }
      try {
        syncer.sync(dir);
        batch.forEach(done -> done.complete(null));
      } catch (Throwable e) {
        // No waiter may wait for ever, whatever the fsync threw.
        batch.forEach(done -> done.completeExceptionally(e));
      }
    }
  }
}
