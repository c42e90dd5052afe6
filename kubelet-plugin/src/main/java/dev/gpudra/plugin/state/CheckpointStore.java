package dev.gpudra.plugin.state;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointChange;
import dev.gpudra.core.checkpoint.CheckpointCodec;
import dev.gpudra.core.checkpoint.CorruptCheckpointException;
import dev.gpudra.core.checkpoint.DecodedCheckpoint;
import dev.gpudra.core.checkpoint.UnsupportedCheckpointVersionException;
import dev.gpudra.runtime.AtomicFileWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoint file: the only class that reads or writes it.
 *
 * <p>Writes are atomic and durable ({@link AtomicFileWriter}): the bytes go to a temporary file in
 * the same directory, are fsync'ed, renamed over the checkpoint, and the directory is fsync'ed. A
 * crash at any point leaves either the old or the new checkpoint, never a mix; a temporary file a
 * crash left behind is ignored until {@link #removeLeftoverTemporaryFiles()} removes it at start,
 * and a save that fails removes its own.
 *
 * <p>Nobody else on the node can read or plant anything through it: the checkpoint is {@code
 * rw-------} and its directory has no access for others (created {@code rwx------}; an existing
 * one, such as a hostPath the kubelet created {@code rwxr-xr-x}, loses its "other" bits at the
 * first save). Links planted in the directory are never followed: temporary files are created
 * exclusively under unpredictable names, the rename replaces the checkpoint's entry itself, a
 * checkpoint name that is not a regular file is moved aside as damaged without being opened, and
 * moving aside renames the entry, not what it points at.
 *
 * <p>Between full saves, changes are appended ({@link #commit}): one write and one fdatasync of the
 * open file, no new file, no rename, no directory sync. A crash during an append leaves a prefix of
 * it at the end, which the codec ignores (it was never synced, so never acknowledged); every load
 * is followed by a full save, so nothing is ever appended after such a prefix. Once the appended
 * part outgrows the snapshot, the next commit is a full save instead (compaction).
 *
 * <p>Shared with other instances: during a rolling update two plugin pods on one node use the same
 * checkpoint. Every read-modify-write of the file runs under the store lock ({@link
 * CheckpointLock}), and each instance appends only to a file it wrote itself; before writing, the
 * store checks that the file is still the one it last read or wrote (same inode and size). When
 * another instance replaced it, the store reads it again, applies its own changes on top and saves
 * the result whole: no record of either instance is lost, and the other instance notices the new
 * file in turn. {@link #replacedSince} is the cheap check for readers ({@link NodeState}).
 *
 * <p>Not thread-safe: {@link NodeState} serialises all saves and appends.
 */
public final class CheckpointStore {

  /** File name of the checkpoint inside the checkpoint directory. */
  public static final String FILE_NAME = "checkpoint";

  /** Mode of the checkpoint file. */
  public static final Set<PosixFilePermission> FILE_PERMISSIONS =
      PosixFilePermissions.fromString("rw-------");

  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);

  // Appends up to this many bytes (or the snapshot's size, if larger) before the next full save.
  private static final long COMPACT_BELOW = 64 * 1024;

  private final CheckpointDirectory directory;
  private final Path file;
  private final CheckpointLock lock;
  // Open on the file this store last read or wrote, so that its inode number cannot be reused
  // while the view names it; null before the first load or save.
  private FileChannel seen;
  // What seen is, published whole so that a reader without the lock never sees half of a change;
  // null while no file is seen.
  private volatile View view;
  // How many files this store has read or written whole: the opening of the next view.
  private long openings;
  private long snapshotBytes;
  private long appendedBytes;
  // Changes of failed appends, not yet on disk: part of the next save.
  private final List<CheckpointChange> unsynced = new ArrayList<>();
  private Loaded.MovedAside movedAside;

  /**
   * @param dir the directory holding the checkpoint; created with mode 0700 when missing, and
   *     closed to others when it exists
   * @param clock names moved-aside files
   */
  public CheckpointStore(Path dir, Clock clock) {
    this.directory = new CheckpointDirectory(dir, clock);
    this.file = directory.checkpoint();
    this.lock = new CheckpointLock(directory.path(), directory::ensurePrivate);
  }

  /** The locks this store shares with other instances on its directory. */
  public CheckpointLock lock() {
    return lock;
  }

  /**
   * The file this store last read or wrote, as one value: a reader compares the view it acted on
   * with the current one ({@link #view()}) to learn whether the store has moved on since.
   *
   * @param fileKey the file's inode
   * @param size the size this store last knew it to have
   * @param own whether this store wrote it and may append to it (no append failed since); another
   *     instance never appends to a file this store wrote, it replaces it
   * @param opening which of the files this store read or wrote whole it is (counting from 1): two
   *     views of one opening are one file, even where a later file reuses an earlier one's inode
   */
  public record View(Object fileKey, long size, boolean own, long opening) {}

  /**
   * The file this store reads and writes now; null while it has none (before the first load or
   * save, during one, or after a failed one). A new value after every load, save and append.
   */
  public View view() {
    return view;
  }

  /** What {@link #load()} found. */
  public sealed interface Loaded {
    /** No checkpoint file: a first start on this node. */
    record Missing() implements Loaded {}

    /**
     * A valid checkpoint.
     *
     * @param checkpoint its content
     */
    record Valid(Checkpoint checkpoint) implements Loaded {}

    /**
     * A checkpoint that could not be trusted and has been moved aside.
     *
     * @param reason what was wrong
     * @param movedTo where the damaged file now is
     */
    record MovedAside(String reason, Path movedTo, Problem problem) implements Loaded {}

    /** Why a checkpoint was moved aside. */
    enum Problem {
      /** Damaged, truncated, empty or invalid. */
      DAMAGED,
      /** Written in a version this plugin does not read (a newer plugin's, before a downgrade). */
      UNSUPPORTED_VERSION,
      /** Not a regular file (a planted link, a directory). */
      NOT_A_FILE
    }
  }

  /** What the last {@link #load()} moved aside, if anything. */
  public Optional<Loaded.MovedAside> movedAside() {
    return Optional.ofNullable(movedAside);
  }

  /** Path of the checkpoint file. */
  public Path file() {
    return file;
  }

  /**
   * Reads the checkpoint. A damaged one, or anything at its name that is not a regular file (a
   * planted link), is renamed to {@code checkpoint.damaged-<time>} so that it can be inspected, and
   * is never read again: the next start does not trip over it.
   *
   * @throws UncheckedIOException when the file exists but cannot be read or moved
   */
  @SuppressWarnings("try") // the lock is held for the block; its handle is not used
  public Loaded load() {
    try (CheckpointLock.Held held = lock.store()) {
      closeSeen();
      return loadLocked();
    }
  }

  // Reads the file through a channel kept as seen when it is valid.
  private Loaded loadLocked() {
    byte[] bytes;
    Object key;
    FileChannel channel = null;
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isRegularFile()) {
        // A link (or fifo, device, directory) is nothing we wrote; opening it could read, or
        // block on, something outside the directory.
        return new Loaded.MovedAside(
            "not a regular file", directory.moveAside(), Loaded.Problem.NOT_A_FILE);
      }
      channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      // Under the store lock nobody replaces the file: the name still leads to the channel's inode.
      key = fileKey();
      bytes = Channels.newInputStream(channel).readAllBytes();
    } catch (NoSuchFileException e) {
      close(channel);
      return new Loaded.Missing();
    } catch (IOException e) {
      close(channel);
      throw new UncheckedIOException("reading checkpoint " + file + " failed", e);
    }
    try {
      DecodedCheckpoint decoded = CheckpointCodec.decodeDetailed(bytes);
      if (decoded.droppedTailBytes() > 0) {
        LOG.warn(
            "checkpoint {} ends in an append cut short by a crash ({} bytes, never acknowledged);"
                + " ignored",
            file,
            decoded.droppedTailBytes());
      }
      seen(channel, key, bytes.length, false);
      channel = null;
      return new Loaded.Valid(decoded.checkpoint());
    } catch (UnsupportedCheckpointVersionException e) {
      return new Loaded.MovedAside(
          e.getMessage(), directory.moveAside(), Loaded.Problem.UNSUPPORTED_VERSION);
    } catch (CorruptCheckpointException e) {
      return remember(
          new Loaded.MovedAside(e.getMessage(), directory.moveAside(), Loaded.Problem.DAMAGED));
    } finally {
      close(channel);
    }
  }

  /**
   * Replaces the checkpoint with {@code checkpoint}, atomically and durably, and opens it for
   * {@link #commit}.
   */
  @SuppressWarnings("try") // the lock is held for the block; its handle is not used
  public void save(Checkpoint checkpoint) {
    byte[] bytes = CheckpointCodec.encode(checkpoint);
    try (CheckpointLock.Held held = lock.store()) {
      closeSeen();
      directory.ensurePrivate();
      AtomicFileWriter.write(file, bytes, FILE_PERMISSIONS);
      // The file just renamed into place; a link planted since is not opened.
      FileChannel appender =
          FileChannel.open(
              file, StandardOpenOption.WRITE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS);
      seen(appender, fileKey(), bytes.length, true);
      unsynced.clear();
      snapshotBytes = bytes.length;
      appendedBytes = 0;
    } catch (IOException e) {
      closeSeen();
      throw new UncheckedIOException("saving checkpoint " + file + " failed", e);
    }
  }

  /**
   * Makes {@code changes} durable: appended when the file is open for it and still small, else a
   * full save of {@code result}, which must be the last saved checkpoint with {@code changes}
   * applied.
   *
   * <p>When another instance changed the file since this store last read or wrote it, the file is
   * read again and saved whole with {@code changes} (and those of earlier failed commits) applied.
   *
   * @param beforeSync told between the write and the fdatasync of an append (a crash test's kill
   *     point); not called for a full save
   * @return the checkpoint now on disk: {@code result} itself, unless another instance's changes
   *     were merged in
   */
  @SuppressWarnings("try") // the lock is held for the block; its handle is not used
  public Checkpoint commit(Checkpoint result, List<CheckpointChange> changes, Runnable beforeSync) {
    try (CheckpointLock.Held held = lock.store()) {
      return commitLocked(result, changes, beforeSync);
    } catch (RuntimeException e) {
      // Not on disk, or not known to be: the next save must hold these changes, whatever another
      // instance writes meanwhile.
      View failed = view;
      if (failed != null) {
        view = new View(failed.fileKey(), failed.size(), false, failed.opening());
      }
      unsynced.addAll(changes);
      throw e;
    }
  }

  private Checkpoint commitLocked(
      Checkpoint result, List<CheckpointChange> changes, Runnable beforeSync) {
    if (changedOnDisk()) {
      // Another instance wrote (or an append of ours failed part-way): the file as it is, then
      // this store's changes not on disk, in order. Missing or damaged: this store's view.
      Checkpoint merged =
          onDisk().map(disk -> apply(apply(disk, unsynced), changes)).orElse(result);
      save(merged);
      return merged;
    }
    if (!view.own() || appendedBytes > Math.max(COMPACT_BELOW, snapshotBytes)) {
      save(result);
      return result;
    }
    append(changes, beforeSync);
    return result;
  }

  private void append(List<CheckpointChange> changes, Runnable beforeSync) {
    byte[] bytes = CheckpointCodec.encodeChanges(changes);
    try {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        seen.write(buffer);
      }
      beforeSync.run();
      // fdatasync: the appended bytes and the new size; no other metadata is needed to read them.
      seen.force(false);
      appendedBytes += bytes.length;
      View before = view;
      view = new View(before.fileKey(), before.size() + bytes.length, true, before.opening());
    } catch (IOException e) {
      // The file may end in part of this append: only a full save may follow.
      throw new UncheckedIOException("appending to checkpoint " + file + " failed", e);
    }
  }

  /**
   * Whether another instance changed the checkpoint since this store had the view {@code seenThen}
   * ({@link #view()}): one stat, no lock. A file this store wrote is changed by another instance
   * only by replacing it (a new inode); one it read from another instance also by that instance's
   * appends (a new size). A reader that gets true calls {@link #reloadIfChanged()} before deciding
   * anything from its copy. False for null (nothing read or written yet).
   */
  public boolean replacedSince(View seenThen) {
    if (seenThen == null) {
      return false;
    }
    try {
      BasicFileAttributes now =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return !seenThen.fileKey().equals(now.fileKey())
          || (!seenThen.own() && now.size() != seenThen.size());
    } catch (IOException e) {
      // Missing or unreadable: nothing to reload; the next commit finds out under the lock.
      return false;
    }
  }

  /**
   * Under the store lock, reads the checkpoint again when it is not what this store last read or
   * wrote.
   *
   * @return what is on disk with this store's changes not yet on disk applied, when another
   *     instance changed it; empty when nothing changed (or the file is gone or damaged: the next
   *     commit saves this store's view)
   */
  @SuppressWarnings("try") // the lock is held for the block; its handle is not used
  public Optional<Checkpoint> reloadIfChanged() {
    try (CheckpointLock.Held held = lock.store()) {
      if (!changedOnDisk()) {
        return Optional.empty();
      }
      // Missing or damaged: nothing to take in; seen is unknown now, so the next commit saves
      // whole.
      return onDisk().map(d -> apply(d, unsynced));
    }
  }

  // Under the store lock: the file differs from what this store last read or wrote.
  private boolean changedOnDisk() {
    View seenNow = view;
    if (seenNow == null) {
      return true;
    }
    try {
      BasicFileAttributes now =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return !seenNow.fileKey().equals(now.fileKey()) || now.size() != seenNow.size();
    } catch (NoSuchFileException e) {
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("reading attributes of checkpoint " + file + " failed", e);
    }
  }

  // Under the store lock: the valid checkpoint on disk, now seen; empty when missing or damaged.
  private Optional<Checkpoint> onDisk() {
    closeSeen();
    if (loadLocked() instanceof Loaded.Valid valid) {
      LOG.info("checkpoint {} was changed by another instance on this node; read it again", file);
      return Optional.of(valid.checkpoint());
    }
    return Optional.empty();
  }

  private static Checkpoint apply(Checkpoint checkpoint, List<CheckpointChange> changes) {
    Checkpoint result = checkpoint;
    for (CheckpointChange change : changes) {
      result = change.applyTo(result);
    }
    return result;
  }

  private void seen(FileChannel channel, Object key, long size, boolean own) {
    seen = channel;
    view = new View(key, size, own, ++openings);
  }

  private Object fileKey() throws IOException {
    return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .fileKey();
  }

  private Loaded remember(Loaded.MovedAside aside) {
    movedAside = aside;
    return aside;
  }

  private void closeSeen() {
    close(seen);
    seen = null;
    view = null;
  }

  private void close(FileChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      LOG.debug("closing checkpoint {} failed", file, e);
    }
  }

  /**
   * Deletes the temporary files a crash left between writing and renaming, this version's and
   * earlier ones'. Call once at start, before the first save.
   *
   * @return how many were removed
   * @throws UncheckedIOException when the directory cannot be listed or an entry removed
   */
  public int removeLeftoverTemporaryFiles() {
    return directory.removeLeftoverTemporaryFiles();
  }
}
