package dev.gpudra.plugin.state;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointCodec;
import dev.gpudra.core.checkpoint.CorruptCheckpointException;
import dev.gpudra.runtime.AtomicFileWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The checkpoint file: the only class that reads or writes it.
 *
 * <p>Writes are atomic and durable ({@link AtomicFileWriter}): the bytes go to a temporary file in
 * the same directory, are fsync'ed, renamed over the checkpoint, and the directory is fsync'ed. A
 * crash at any point leaves either the old or the new checkpoint, never a mix; a temporary file a
 * crash left behind is ignored and overwritten by the next save, and a save that fails removes its
 * own.
 *
 * <p>Not thread-safe: {@link NodeState} serialises all saves.
 */
public final class CheckpointStore {

  /** File name of the checkpoint inside the checkpoint directory. */
  public static final String FILE_NAME = "checkpoint";

  private static final String TEMP_NAME = ".checkpoint.tmp";

  private final Path dir;
  private final Path file;
  private final Clock clock;

  /**
   * @param dir the directory holding the checkpoint; created with mode 0700 when missing
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
    record MovedAside(String reason, Path movedTo) implements Loaded {}
  }

  /** Path of the checkpoint file. */
  public Path file() {
    return file;
  }

  /**
   * Reads the checkpoint. A damaged one is renamed to {@code checkpoint.damaged-<time>} so that it
   * can be inspected, and is never read again: the next start does not trip over it.
   *
   * @throws UncheckedIOException when the file exists but cannot be read or moved
   */
  public Loaded load() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new Loaded.Missing();
    } catch (IOException e) {
      throw new UncheckedIOException("reading checkpoint " + file + " failed", e);
    }
    try {
      return new Loaded.Valid(CheckpointCodec.decode(bytes));
    } catch (CorruptCheckpointException e) {
      return new Loaded.MovedAside(e.getMessage(), moveAside());
    }
  }

  /** Replaces the checkpoint with {@code checkpoint}, atomically and durably. */
  public void save(Checkpoint checkpoint) {
    byte[] bytes = CheckpointCodec.encode(checkpoint);
    Path temp = dir.resolve(TEMP_NAME);
    try {
      ensureDir();
      AtomicFileWriter.write(file, temp, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("saving checkpoint " + file + " failed", e);
    }
  }

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

  private void ensureDir() throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
  }

  private void syncDir() throws IOException {
    AtomicFileWriter.syncDirectory(dir);
  }
}
