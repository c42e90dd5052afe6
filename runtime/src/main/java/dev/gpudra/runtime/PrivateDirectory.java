package dev.gpudra.runtime;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Set;

/**
 * Directories that other users of the node cannot enter: the daemons' sockets, checkpoint and CDI
 * specs live in them.
 *
 * <p>Two rules, both independent of the process's umask (a daemon started with umask 000 must not
 * leave a world-writable directory): every directory level this class creates gets exactly the mode
 * asked for, and {@link #removeOthersAccess} takes the "other" bits off an existing directory,
 * leaving the owner's and the group's choice alone. A path that reaches the directory through a
 * symbolic link (an admin's choice of path) is followed, as the admin meant it to be.
 *
 * <p>Stateless and thread-safe; creating the same directory concurrently is not an error.
 */
public final class PrivateDirectory {

  private static final Set<PosixFilePermission> OTHERS =
      EnumSet.of(
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private PrivateDirectory() {}

  /**
   * Creates {@code dir} and any missing parent with exactly {@code mode}; existing levels keep
   * theirs.
   *
   * @return whether {@code dir} itself was created
   * @throws IllegalArgumentException when {@code mode} grants others any access
   * @throws IOException when a level exists but is not a directory, or creating one fails
   */
  public static boolean create(Path dir, Set<PosixFilePermission> mode) throws IOException {
    Set<PosixFilePermission> permissions = Set.copyOf(mode);
    if (permissions.stream().anyMatch(OTHERS::contains)) {
      throw new IllegalArgumentException(
          "mode " + PosixFilePermissions.toString(permissions) + " grants others access");
    }
    Path absolute = dir.toAbsolutePath().normalize();
    Deque<Path> missing = new ArrayDeque<>();
    for (Path level = absolute; level != null && !Files.isDirectory(level); ) {
      missing.push(level);
      level = level.getParent();
    }
    boolean createdLeaf = false;
    while (!missing.isEmpty()) {
      Path level = missing.pop();
      try {
        Files.createDirectory(level, PosixFilePermissions.asFileAttribute(permissions));
      } catch (FileAlreadyExistsException e) {
        if (Files.isDirectory(level)) {
          continue; // created concurrently; its creator set its mode
        }
        throw e;
      }
      // The create mode went through the umask; set it exactly.
      Files.setPosixFilePermissions(level, permissions);
      createdLeaf = level.equals(absolute);
    }
    return createdLeaf;
  }

  /**
   * Takes read, write and search permission for others off the existing directory {@code dir}.
   *
   * @return whether its mode changed
   * @throws IOException when it cannot be read or changed (not its owner, not root)
   */
  public static boolean removeOthersAccess(Path dir) throws IOException {
    Set<PosixFilePermission> current = Files.getPosixFilePermissions(dir);
    if (current.stream().noneMatch(OTHERS::contains)) {
      return false;
    }
    Set<PosixFilePermission> tightened = EnumSet.copyOf(current);
    tightened.removeAll(OTHERS);
    Files.setPosixFilePermissions(dir, tightened);
    return true;
  }
}
