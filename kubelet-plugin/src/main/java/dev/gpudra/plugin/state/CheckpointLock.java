package dev.gpudra.plugin.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * Mutual exclusion between plugin instances that share one checkpoint directory. During a DaemonSet
 * rolling update with {@code maxSurge} the old and the new plugin pod run side by side on one node,
 * with the same checkpoint and CDI directories: the new one recovers while the old one still serves
 * the kubelet, and the old one finishes its calls in flight after the new one took over.
 *
 * <p>Three kinds of lock, all exclusive byte-range locks ({@code fcntl}) on the file {@value
 * #FILE_NAME} in the checkpoint directory. The kernel releases them when a process dies, so a crash
 * never leaves a lock behind and no start-up has to break one:
 *
 * <ul>
 *   <li>the store lock (byte 0), held for every read-modify-write of the checkpoint file (a full
 *       save, an append and the check before it, a reload) and for the whole of start-up recovery;
 *   <li>a claim lock (one byte per slot, the slot a hash of the claim UID), held for a prepare or
 *       unprepare of that claim, so that two instances never work on one claim at once, and held by
 *       recovery while it changes a claim's files, which it leaves alone while another instance
 *       holds the lock. Two UIDs that share a slot merely wait for each other;
 *   <li>the effects lock (the byte after the slots), held while a claim's node changes beyond files
 *       (MIG devices, time slices, MPS daemons) are made or undone, which the instances decide from
 *       the records of both.
 * </ul>
 *
 * <p>The one order of every lock the plugin takes, these and those of {@link NodeState} in the
 * process; a thread may skip any of them but never takes one while holding a later one:
 *
 * <ol>
 *   <li>a claim lock ({@link NodeState#forClaim}: the instance's lock for the UID, then this file's
 *       byte);
 *   <li>the effects lock ({@link NodeState#effects}: the instance's lock, then this file's byte);
 *   <li>the instance's I/O lock (its group commit and its reloads of another instance's file);
 *   <li>the store lock (this file's byte 0: {@link CheckpointStore}'s load, save, commit, reload);
 *   <li>the instance's state lock ({@link NodeState#locked}), a leaf: held only to read and change
 *       memory, never while waiting for anything else.
 * </ol>
 *
 * Start-up recovery takes the effects lock, then the store lock, and holds both to the end. {@link
 * #tryClaim} and {@link #idle} never wait, so they may be taken under any lock; they are how
 * recovery leaves alone the claims another instance is working on. {@link NodeState} enforces the
 * leaf: waiting for I/O, a reload or the effects lock under the state lock throws.
 *
 * <p>File locks belong to the whole JVM, and closing any channel of the file drops all the
 * process's locks on it (POSIX): each lock file therefore has one channel per JVM, opened once and
 * kept open, and instances in one JVM (tests) exclude each other with a JVM lock per byte taken
 * before the file lock. Locks are reentrant per thread. The file lock itself is only ever tried
 * without blocking, with the thread's interrupt put aside meanwhile: an interrupted call on a
 * {@link FileChannel} closes it, which would drop every lock of the JVM. Thread-safe.
 */
public final class CheckpointLock {

  /** Name of the lock file in the checkpoint directory; empty, never read or written. */
  public static final String FILE_NAME = "checkpoint.lock";

  /** How many claim slots the lock file has. */
  static final int CLAIM_SLOTS = 4096;

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(CheckpointLock.class);
  private static final long STORE_BYTE = 0;
  private static final long EFFECTS_BYTE = 1 + CLAIM_SLOTS;
  private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  // Per lock file (by real path): the one channel this JVM has on it, and its regions.
  private static final ConcurrentMap<Path, LockFile> FILES = new ConcurrentHashMap<>();

  private final Path dir;
  private final DirectoryMaker makeDir;
  // The lock file's real path, once known.
  private volatile Path key;

  /** Creates the checkpoint directory when missing, with the store's rules. */
  @FunctionalInterface
  interface DirectoryMaker {
    void ensure() throws IOException;
  }

  /** A lock held; {@link #close()} releases it. */
  public interface Held extends AutoCloseable {
    @Override
    void close();
  }

  CheckpointLock(Path dir, DirectoryMaker makeDir) {
    this.dir = dir;
    this.makeDir = makeDir;
  }

  /** Waits for the store lock. */
  public Held store() {
    return acquire(STORE_BYTE, true).orElseThrow();
  }

  /** Waits for claim {@code uid}'s lock. */
  public Held claim(String uid) {
    return acquire(slot(uid), true).orElseThrow();
  }

  /** Waits for the effects lock. */
  public Held effects() {
    return acquire(EFFECTS_BYTE, true).orElseThrow();
  }

  /** Claim {@code uid}'s lock if nobody else (another thread or process) holds it now. */
  public Optional<Held> tryClaim(String uid) {
    return acquire(slot(uid), false);
  }

  /**
   * Whether nobody (another thread or process) works on claim {@code uid} at this moment: its lock
   * is taken and dropped at once, without waiting. Whoever decides from the answer must hold a lock
   * that the claim's next step needs (the store or the effects lock), so that it stays true for the
   * decision.
   */
  public boolean idle(String uid) {
    Optional<Held> held = tryClaim(uid);
    held.ifPresent(Held::close);
    return held.isPresent();
  }

  static long slot(String uid) {
    CRC32C crc = new CRC32C();
    crc.update(uid.getBytes(StandardCharsets.UTF_8));
    return 1 + crc.getValue() % CLAIM_SLOTS;
  }

  private Optional<Held> acquire(long position, boolean wait) {
    LockFile lockFile = lockFile();
    Region region = lockFile.regions.computeIfAbsent(position, p -> new Region());
    if (wait) {
      region.jvm.lock();
    } else if (!region.jvm.tryLock()) {
      return Optional.empty();
    }
    if (region.jvm.getHoldCount() > 1) {
      return Optional.of(region::release);
    }
    try {
      FileLock lock = lockFile.lock(position, wait, makeDir);
      if (lock == null) {
        region.jvm.unlock();
        return Optional.empty();
      }
      region.file = lock;
      return Optional.of(region::release);
    } catch (RuntimeException | Error e) {
      region.jvm.unlock();
      throw e;
    }
  }

  private LockFile lockFile() {
    Path real = key;
    if (real == null) {
      try {
        makeDir.ensure();
        real = dir.toRealPath().resolve(FILE_NAME);
      } catch (IOException e) {
        throw new UncheckedIOException("opening checkpoint lock in " + dir + " failed", e);
      }
      key = real;
    }
    return FILES.computeIfAbsent(real, LockFile::new);
  }

  /** One byte of the lock file in this JVM. */
  private static final class Region {
    final ReentrantLock jvm = new ReentrantLock();
    // Guarded by jvm; set while its outermost holder holds the file lock.
    FileLock file;

    void release() {
      if (jvm.getHoldCount() == 1 && file != null) {
        FileLock held = file;
        file = null;
        boolean interrupted = Thread.interrupted();
        try {
          held.release();
        } catch (IOException e) {
          // Only a closed channel fails here, and closing it released the lock already.
          LOG.debug("releasing the checkpoint lock failed", e);
        } finally {
          if (interrupted) {
            Thread.currentThread().interrupt();
          }
          jvm.unlock();
        }
        return;
      }
      jvm.unlock();
    }
  }

  /**
   * The JVM's channel on one lock file and the state of its bytes. A channel closed by an interrupt
   * (which released the file locks of this JVM), or one whose file is no longer at the path (the
   * directory was removed while running), is replaced by a new one at the next use; the JVM locks
   * still exclude this JVM's threads meanwhile.
   */
  private static final class LockFile {
    final Path path;
    final ConcurrentMap<Long, Region> regions = new ConcurrentHashMap<>();
    private FileChannel channel;
    private Object channelKey;

    LockFile(Path path) {
      this.path = path;
    }

    private synchronized FileChannel channel(DirectoryMaker makeDir) throws IOException {
      if (channel != null && channel.isOpen() && channelKey.equals(keyAtPath())) {
        return channel;
      }
      if (channel != null) {
        channel.close();
      }
      makeDir.ensure();
      channel = openChannel(path);
      channelKey = keyAtPath();
      return channel;
    }

    private Object keyAtPath() throws IOException {
      try {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
            .fileKey();
      } catch (NoSuchFileException e) {
        return "missing";
      }
    }

    // Never through a link: one planted at the name is removed (the entry, not its target) and the
    // file created anew; a regular file is never removed, since others may hold locks on it.
    private static FileChannel openChannel(Path file) throws IOException {
      for (int attempt = 0; ; attempt++) {
        try {
          return FileChannel.open(
              file,
              java.util.Set.of(
                  StandardOpenOption.CREATE,
                  StandardOpenOption.READ,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(CheckpointStore.FILE_PERMISSIONS));
        } catch (IOException e) {
          if (attempt > 0 || e instanceof NoSuchFileException || !plantedOther(file)) {
            throw e;
          }
          Files.deleteIfExists(file);
        }
      }
    }

    private static boolean plantedOther(Path file) {
      return Files.exists(file, LinkOption.NOFOLLOW_LINKS)
          && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS);
    }

    /** Tries the byte at {@code position}, and with {@code wait} tries again until it gets it. */
    FileLock lock(long position, boolean wait, DirectoryMaker makeDir) {
      boolean interrupted = Thread.interrupted();
      try {
        long pause = TimeUnit.MICROSECONDS.toNanos(50);
        while (true) {
          FileLock lock = channel(makeDir).tryLock(position, 1, false);
          if (lock != null || !wait) {
            return lock;
          }
          // Another process holds it: it is seldom held for longer than one fsync.
          LockSupport.parkNanos(pause);
          interrupted |= Thread.interrupted();
          pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("taking the checkpoint lock " + path + " failed", e);
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
