package dev.gpudra.plugin.state;

import dev.gpudra.runtime.AtomicFileWriter;
import dev.gpudra.runtime.PrivateDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory that holds the checkpoint, as {@link CheckpointStore} keeps it: closed to other
 * users, damaged checkpoints moved aside under a timestamped name, temporary files a crash left
 * removed at start. Every rename and removal is followed by an fsync of the directory.
 */
final class CheckpointDirectory {

  /** Mode of a checkpoint directory the store creates. */
  static final Set<PosixFilePermission> PERMISSIONS = PosixFilePermissions.fromString("rwx------");

  private static final Logger LOG = LoggerFactory.getLogger(CheckpointDirectory.class);

  // The fixed temporary name of earlier versions; a crash may have left it.
  private static final String LEGACY_TEMP_NAME = ".checkpoint.tmp";

  private final Path dir;
  private final Path checkpoint;
  private final Clock clock;
  private volatile boolean dirPrivate;

  /**
   * @param dir the directory
   * @param clock names moved-aside files
   */
  CheckpointDirectory(Path dir, Clock clock) {
    this.dir = dir.toAbsolutePath().normalize();
    this.checkpoint = this.dir.resolve(CheckpointStore.FILE_NAME);
    this.clock = clock;
  }

  /** The directory, absolute. */
  Path path() {
    return dir;
  }

  /** The checkpoint file in it. */
  Path checkpoint() {
    return checkpoint;
  }

  /**
   * Creates the directory with mode 0700 when missing, or removes other users' access from an
   * existing one. The mode of an existing directory is checked once (afterwards only root could
   * widen it); a directory removed while running is created again.
   */
  void ensurePrivate() throws IOException {
    if (dirPrivate && Files.isDirectory(dir)) {
      return;
    }
    if (!PrivateDirectory.create(dir, PERMISSIONS) && PrivateDirectory.removeOthersAccess(dir)) {
      LOG.warn("checkpoint directory {} was open to other users; removed their access", dir);
    }
    dirPrivate = true;
  }

  /**
   * Renames the checkpoint to {@code checkpoint.damaged-<time>}. rename(2) moves the entry itself:
   * a link is moved, never what it points at.
   *
   * @return where it now is
   */
  Path moveAside() {
    String stamp =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'", Locale.ROOT)
            .format(clock.instant().atZone(ZoneOffset.UTC));
    Path target = dir.resolve(CheckpointStore.FILE_NAME + ".damaged-" + stamp);
    try {
      Files.move(
          checkpoint, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      sync();
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "moving damaged checkpoint " + checkpoint + " aside failed", e);
    }
  }

  /** As {@link CheckpointStore#removeLeftoverTemporaryFiles()}. */
  int removeLeftoverTemporaryFiles() {
    try {
      int removed = AtomicFileWriter.removeLeftoverTemporaryFiles(checkpoint);
      // unlink: a link planted at the old name goes, what it points at stays.
      if (Files.deleteIfExists(dir.resolve(LEGACY_TEMP_NAME))) {
        removed++;
        sync();
      }
      return removed;
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "removing temporary checkpoint files in " + dir + " failed", e);
    }
  }

  private void sync() throws IOException {
    AtomicFileWriter.syncDirectory(dir);
  }
}
