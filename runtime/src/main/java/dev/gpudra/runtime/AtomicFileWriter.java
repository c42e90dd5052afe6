package dev.gpudra.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Replaces a file atomically and durably: the bytes go to a temporary file in the target's
 * directory, are fsync'ed, renamed over the target, and the directory is fsync'ed. A reader, also
 * one after a crash, sees either the old content or the new, never a partial file.
 *
 * <p>When anything fails before the rename, the temporary file is removed; only a crash can leave
 * one behind, which is why callers name their temporaries so that they can recognise leftovers.
 *
 * <p>The one place in the project that writes persisted state, so that the CDI spec writer and the
 * checkpoint store cannot drift apart on durability. Stateless and thread-safe; callers serialise
 * writes to one target.
 */
public final class AtomicFileWriter {

  private AtomicFileWriter() {}

  /**
   * Writes {@code bytes} to {@code target} through {@code temp}, keeping the file mode the
   * process's umask gives.
   *
   * @throws IllegalArgumentException when {@code temp} is not in {@code target}'s directory (a
   *     rename across directories, possibly file systems, is not atomic)
   * @throws IOException when writing, renaming or syncing fails; no temporary file remains unless
   *     only the final directory sync failed (then the new content is already in place)
   */
  public static void write(Path target, Path temp, byte[] bytes) throws IOException {
    write(target, temp, bytes, Optional.empty());
  }

  /**
   * Writes {@code bytes} to {@code target} through {@code temp} with file mode {@code mode}, set
   * before the fsync so that the mode is as durable as the content.
   *
   * @throws IllegalArgumentException when {@code temp} is not in {@code target}'s directory
   * @throws IOException when writing, renaming or syncing fails; see {@link #write(Path, Path,
   *     byte[])}
   */
  public static void write(Path target, Path temp, byte[] bytes, Set<PosixFilePermission> mode)
      throws IOException {
    write(target, temp, bytes, Optional.of(Set.copyOf(mode)));
  }

  private static void write(
      Path target, Path temp, byte[] bytes, Optional<Set<PosixFilePermission>> mode)
      throws IOException {
    Path dir = directoryOf(target);
    if (!dir.equals(directoryOf(temp)) || temp.normalize().equals(target.normalize())) {
      throw new IllegalArgumentException(
          "temporary file " + temp + " must be another file in the directory of " + target);
    }
    Objects.requireNonNull(bytes, "bytes");
    try {
      try (FileChannel ch =
          FileChannel.open(
              temp,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        if (mode.isPresent()) {
          Files.setPosixFilePermissions(temp, mode.get());
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    syncDirectory(dir);
  }

  /**
   * Makes the directory's entries durable: a rename, create or unlink in {@code dir} survives a
   * crash only once this returns.
   */
  public static void syncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private static Path directoryOf(Path file) {
    Path parent = file.toAbsolutePath().normalize().getParent();
    if (parent == null) {
      throw new IllegalArgumentException(file + " has no directory");
    }
    return parent;
  }
}
