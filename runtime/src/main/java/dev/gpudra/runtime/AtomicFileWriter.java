package dev.gpudra.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Replaces a file atomically and durably: the bytes go to a temporary file in the target's
 * directory, are fsync'ed, renamed over the target, and the directory is fsync'ed. A reader, also
 * one after a crash, sees either the old content or the new, never a partial file. {@link #publish}
 * does the same without the two fsyncs, for a file that matters only until the machine restarts:
 * every reader sees the old content or the new, never a partial file, and a process crash changes
 * nothing of that; only a power loss or kernel crash may leave the name missing or the file short,
 * which the owner of such files must clear up after the restart.
 *
 * <p>Safe in a directory where somebody may have planted symbolic links: the temporary file has an
 * unpredictable name ({@code .<target>.<32 random hex digits>.tmp}) and is created exclusively
 * ({@code O_CREAT|O_EXCL}, which never follows a link) with its mode, which is set again on the
 * file itself (not through a link) when the process's umask took bits off it, and the final {@code
 * rename(2)} replaces the target's directory entry, so a link planted at the target's name is
 * replaced, never followed. Nothing is therefore ever written outside the target's directory. The
 * directory itself may be reached through a link (an admin's choice of path).
 *
 * <p>The mode is explicit and set exactly, independent of the process's umask, so that a daemon
 * started with umask 000 still writes no file others can read.
 *
 * <p>When anything fails before the rename, the temporary file is removed; only a crash can leave
 * one behind, which {@link #removeLeftoverTemporaryFiles} (or a caller that recognises {@link
 * #isTemporaryName} names) cleans up.
 *
 * <p>The one place in the project that writes persisted state, so that the CDI spec writer and the
 * checkpoint store cannot drift apart on durability or safety. Stateless and thread-safe; callers
 * serialise writes to one target.
 */
public final class AtomicFileWriter {

  /** Suffix of every temporary file name; CDI runtimes ignore it. */
  public static final String TEMP_SUFFIX = ".tmp";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int UMASK = readUmask();
  private static final int RANDOM_BYTES = 16;
  private static final Pattern RANDOM_PART =
      Pattern.compile("[0-9a-f]{" + (2 * RANDOM_BYTES) + "}");

  private AtomicFileWriter() {}

  /**
   * Writes {@code bytes} to {@code target} with file mode {@code mode}, set before the fsync so
   * that the mode is as durable as the content.
   *
   * @throws IOException when creating, writing, renaming or syncing fails; no temporary file
   *     remains unless only the final directory sync failed (then the new content is already in
   *     place)
   */
  public static void write(Path target, byte[] bytes, Set<PosixFilePermission> mode)
      throws IOException {
    syncDirectory(replace(target, bytes, mode, true));
  }

  /**
   * Writes {@code bytes} to {@code target} like {@link #write}, atomically for every reader and as
   * safely, but with no fsync of the file or the directory: for a file that only matters until the
   * machine restarts (a power loss may leave the name missing or the file short).
   *
   * @throws IOException when creating, writing or renaming fails; no temporary file remains
   */
  public static void publish(Path target, byte[] bytes, Set<PosixFilePermission> mode)
      throws IOException {
    replace(target, bytes, mode, false);
  }

  // The temporary file, its content (fsync'ed when durable) and the rename; the directory's sync is
  // the caller's. Returns the target's directory.
  private static Path replace(
      Path target, byte[] bytes, Set<PosixFilePermission> mode, boolean durable)
      throws IOException {
    Objects.requireNonNull(bytes, "bytes");
    Set<PosixFilePermission> permissions = Set.copyOf(mode);
    Path dir = directoryOf(target);
    Path finalName = dir.resolve(target.getFileName());
    Path temp = dir.resolve(temporaryName(finalName.getFileName().toString()));
    Set<OpenOption> exclusive =
        Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    boolean created = false;
    try {
      try (FileChannel ch =
          FileChannel.open(temp, exclusive, PosixFilePermissions.asFileAttribute(permissions))) {
        created = true;
        // The create mode went through the umask: set it exactly, on the file and not a link,
        // unless the umask left it whole (the usual case, which spares three system calls).
        if (!createModeExact(permissions)) {
          Files.getFileAttributeView(temp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
              .setPermissions(permissions);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        if (durable) {
          ch.force(true);
        }
      }
      // rename(2): replaces the entry called finalName, whatever it is; never follows a link.
      Files.move(temp, finalName, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      if (created) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException cleanup) {
          e.addSuppressed(cleanup);
        }
      }
      throw e;
    }
    return dir;
  }

  /**
   * Whether {@code name} is a temporary file name this class makes, and for which target: {@code
   * .<target>.<random>.tmp}.
   *
   * @return the target's file name, or empty for any other name
   */
  public static Optional<String> targetOfTemporaryName(String name) {
    if (!name.startsWith(".") || !name.endsWith(TEMP_SUFFIX)) {
      return Optional.empty();
    }
    String inner = name.substring(1, name.length() - TEMP_SUFFIX.length());
    int lastDot = inner.lastIndexOf('.');
    if (lastDot <= 0 || !RANDOM_PART.matcher(inner.substring(lastDot + 1)).matches()) {
      return Optional.empty();
    }
    return Optional.of(inner.substring(0, lastDot));
  }

  /** Whether {@code name} is a temporary file name this class makes for {@code targetName}. */
  public static boolean isTemporaryName(String name, String targetName) {
    return targetOfTemporaryName(name).filter(targetName::equals).isPresent();
  }

  /**
   * Deletes the temporary files of {@code target} a crash left between writing and renaming. Only
   * regular files with this class's temporary names are removed; a link at such a name is removed
   * itself (unlink never follows one), never what it points at.
   *
   * @return how many were removed
   */
  public static int removeLeftoverTemporaryFiles(Path target) throws IOException {
    Path dir = directoryOf(target);
    String targetName = target.getFileName().toString();
    int removed = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        if (!isTemporaryName(entry.getFileName().toString(), targetName)) {
          continue;
        }
        BasicFileAttributes attributes;
        try {
          attributes =
              Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
          continue; // removed since the listing
        }
        if ((attributes.isRegularFile() || attributes.isSymbolicLink())
            && Files.deleteIfExists(entry)) {
          removed++;
        }
      }
    } catch (NoSuchFileException e) {
      return removed;
    }
    if (removed > 0) {
      syncDirectory(dir);
    }
    return removed;
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

  /** Whether a file created with {@code mode} gets exactly that mode under this process's umask. */
  static boolean createModeExact(Set<PosixFilePermission> mode) {
    return UMASK >= 0 && (modeBits(mode) & UMASK) == 0;
  }

  /** The mode bits of {@code mode}, as {@code chmod} takes them ({@code 0640}...). */
  static int modeBits(Set<PosixFilePermission> mode) {
    int bits = 0;
    for (PosixFilePermission permission : mode) {
      bits |=
          switch (permission) {
            case OWNER_READ -> 0400;
            case OWNER_WRITE -> 0200;
            case OWNER_EXECUTE -> 0100;
            case GROUP_READ -> 040;
            case GROUP_WRITE -> 020;
            case GROUP_EXECUTE -> 010;
            case OTHERS_READ -> 04;
            case OTHERS_WRITE -> 02;
            case OTHERS_EXECUTE -> 01;
          };
    }
    return bits;
  }

  /**
   * The file mode creation mask in {@code status}, the text of {@code /proc/self/status} (its
   * {@code Umask:} line, Linux 4.7 and later); -1 when it has none.
   */
  static int parseUmask(String status) {
    for (String line : status.split("\n")) {
      if (line.startsWith("Umask:")) {
        try {
          return Integer.parseInt(line.substring("Umask:".length()).trim(), 8);
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  // Read once: nothing in the plugin changes its umask while it runs. -1 (always chmod) when
  // unreadable.
  private static int readUmask() {
    try {
      return parseUmask(Files.readString(Path.of("/proc/self/status")));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static String temporaryName(String targetName) {
    byte[] random = new byte[RANDOM_BYTES];
    RANDOM.nextBytes(random);
    return "." + targetName + "." + HexFormat.of().formatHex(random) + TEMP_SUFFIX;
  }

  private static Path directoryOf(Path file) {
    Path parent = file.toAbsolutePath().normalize().getParent();
    if (parent == null || file.getFileName() == null) {
      throw new IllegalArgumentException(file + " has no directory");
    }
    return parent;
  }
}
