package dev.gpudra.plugin.state;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointChange;
import dev.gpudra.core.checkpoint.CheckpointCodec;
import dev.gpudra.core.checkpoint.CorruptCheckpointException;
import dev.gpudra.core.checkpoint.DecodedCheckpoint;
import dev.gpudra.core.checkpoint.UnsupportedCheckpointVersionException;
import dev.gpudra.runtime.AtomicFileWriter;
import dev.gpudra.runtime.PrivateDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
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
 * <p>Not thread-safe: {@link NodeState} serialises all saves and appends.
 */
public final class CheckpointStore {

  /** File name of the checkpoint inside the checkpoint directory. */
  public static final String FILE_NAME = "checkpoint";

  /** Mode of the checkpoint file. */
  public static final Set<PosixFilePermission> FILE_PERMISSIONS =
      PosixFilePermissions.fromString("rw-------");

  /** Mode of a checkpoint directory the store creates. */
  public static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS =
      PosixFilePermissions.fromString("rwx------");

  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);

  // Appends up to this many bytes (or the snapshot's size, if larger) before the next full save.
  private static final long COMPACT_BELOW = 64 * 1024;

  // The fixed temporary name of earlier versions; a crash may have left it.
  private static final String LEGACY_TEMP_NAME = ".checkpoint.tmp";

  private final Path dir;
  private final Path file;
  private final Clock clock;
  private boolean dirPrivate;
  // Open for appending to the file the last save wrote; null before the first save and after a
  // failure, which makes the next commit a full save.
  private FileChannel appender;
  private long snapshotBytes;
  private long appendedBytes;
  private Loaded.MovedAside movedAside;

  /**
   * @param dir the directory holding the checkpoint; created with mode 0700 when missing, and
   *     closed to others when it exists
   * @param clock names moved-aside files
   */
  public CheckpointStore(Path dir, Clock clock) {
    this.dir = dir.toAbsolutePath().normalize();
    this.file = this.dir.resolve(FILE_NAME);
    this.clock = clock;
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
  public java.util.Optional<Loaded.MovedAside> movedAside() {
    return java.util.Optional.ofNullable(movedAside);
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
  public Loaded load() {
    byte[] bytes;
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isRegularFile()) {
        // A link (or fifo, device, directory) is nothing we wrote; opening it could read, or
        // block on, something outside the directory.
        return new Loaded.MovedAside("not a regular file", moveAside(), Loaded.Problem.NOT_A_FILE);
      }
      try (InputStream in =
          Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        bytes = in.readAllBytes();
      }
    } catch (NoSuchFileException e) {
      return new Loaded.Missing();
    } catch (IOException e) {
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
      return new Loaded.Valid(decoded.checkpoint());
    } catch (UnsupportedCheckpointVersionException e) {
      return new Loaded.MovedAside(e.getMessage(), moveAside(), Loaded.Problem.UNSUPPORTED_VERSION);
    } catch (CorruptCheckpointException e) {
      return remember(new Loaded.MovedAside(e.getMessage(), moveAside(), Loaded.Problem.DAMAGED));
    }
  }

  /**
   * Replaces the checkpoint with {@code checkpoint}, atomically and durably, and opens it for
   * {@link #commit}.
   */
  public void save(Checkpoint checkpoint) {
    closeAppender();
    byte[] bytes = CheckpointCodec.encode(checkpoint);
    try {
      ensureDir();
      AtomicFileWriter.write(file, bytes, FILE_PERMISSIONS);
      // The file just renamed into place; a link planted since is not opened.
      appender =
          FileChannel.open(
              file, StandardOpenOption.WRITE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS);
      snapshotBytes = bytes.length;
      appendedBytes = 0;
    } catch (IOException e) {
      closeAppender();
      throw new UncheckedIOException("saving checkpoint " + file + " failed", e);
    }
  }

  /**
   * Makes {@code changes} durable: appended when the file is open for it and still small, else a
   * full save of {@code result}, which must be the last saved checkpoint with {@code changes}
   * applied.
   *
   * @param beforeSync told between the write and the fdatasync of an append (a crash test's kill
   *     point); not called for a full save
   */
  public void commit(Checkpoint result, List<CheckpointChange> changes, Runnable beforeSync) {
    if (appender == null || appendedBytes > Math.max(COMPACT_BELOW, snapshotBytes)) {
      save(result);
      return;
    }
    byte[] bytes = CheckpointCodec.encodeChanges(changes);
    try {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        appender.write(buffer);
      }
      beforeSync.run();
      // fdatasync: the appended bytes and the new size; no other metadata is needed to read them.
      appender.force(false);
      appendedBytes += bytes.length;
    } catch (IOException e) {
      // The file may end in part of this append: only a full save may follow.
      closeAppender();
      throw new UncheckedIOException("appending to checkpoint " + file + " failed", e);
    }
  }

  private Loaded remember(Loaded.MovedAside aside) {
    movedAside = aside;
    return aside;
  }

  private void closeAppender() {
    if (appender == null) {
      return;
    }
    try {
      appender.close();
    } catch (IOException e) {
      LOG.debug("closing checkpoint {} failed", file, e);
    }
    appender = null;
  }

  /**
   * Deletes the temporary files a crash left between writing and renaming, this version's and
   * earlier ones'. Call once at start, before the first save.
   *
   * @return how many were removed
   * @throws UncheckedIOException when the directory cannot be listed or an entry removed
   */
  public int removeLeftoverTemporaryFiles() {
    try {
      int removed = AtomicFileWriter.removeLeftoverTemporaryFiles(file);
      // unlink: a link planted at the old name goes, what it points at stays.
      if (Files.deleteIfExists(dir.resolve(LEGACY_TEMP_NAME))) {
        removed++;
        syncDir();
      }
      return removed;
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "removing temporary checkpoint files in " + dir + " failed", e);
    }
  }

  // rename(2) moves the entry itself: a link is moved, never what it points at.
  private Path moveAside() {
    String stamp =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'", Locale.ROOT)
            .format(clock.instant().atZone(java.time.ZoneOffset.UTC));
    Path target = dir.resolve(FILE_NAME + ".damaged-" + stamp);
    try {
      Files.move(file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDir();
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("moving damaged checkpoint " + file + " aside failed", e);
    }
  }

  // The mode of an existing directory is checked once per store (afterwards only root could
  // widen it); a directory removed while running is created again, as before.
  private void ensureDir() throws IOException {
    if (dirPrivate && Files.isDirectory(dir)) {
      return;
    }
    if (!PrivateDirectory.create(dir, DIRECTORY_PERMISSIONS)
        && PrivateDirectory.removeOthersAccess(dir)) {
      LOG.warn("checkpoint directory {} was open to other users; removed their access", dir);
    }
    dirPrivate = true;
  }

  private void syncDir() throws IOException {
    AtomicFileWriter.syncDirectory(dir);
  }
}
