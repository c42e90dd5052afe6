package dev.gpudra.cdi.io;

import dev.gpudra.cdi.CdiNames;
import dev.gpudra.cdi.ClaimSpec;
import dev.gpudra.cdi.spec.CdiJson;
import dev.gpudra.runtime.AtomicFileWriter;
import dev.gpudra.runtime.PrivateDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The one class that writes, deletes and lists our CDI spec files.
 *
 * <p>Writes are atomic ({@link AtomicFileWriter#publish}): the bytes go to a temporary file in the
 * CDI directory, which is renamed over the final name; a failed write removes its temporary file. A
 * runtime reading the directory therefore sees either the old spec or the new one, never a partial
 * file, also after the plugin crashed. Temporary names end in {@code .tmp}, which runtimes ignore
 * (they read {@code .json} and {@code .yaml} only).
 *
 * <p>Nothing here is fsync'ed: a spec matters only in the boot it was written in. The record that
 * must survive is the checkpoint's; after a power loss or kernel crash the node restarts, the
 * containers using the specs are gone, and start-up recovery finds the checkpoint of an earlier
 * boot and removes every spec of ours, whole or not, before the kubelet prepares anew (the chart's
 * {@code /var/run/cdi} is usually a tmpfs, where nothing survives a restart anyway). A process
 * crash loses nothing written, since every process reads the same page cache. So the prepare's one
 * disk wait is the checkpoint's.
 *
 * <p>Nothing outside the CDI directory is ever written or deleted, whatever links somebody planted
 * in it: temporary files are created exclusively under unpredictable names, the rename and the
 * unlink act on the directory entry and never follow a link, and listing skips links. Spec files
 * are {@code rw-r-----}: the container runtime reads them as root, nobody else needs to. A CDI
 * directory this class creates is {@code rwxr-x---}; an existing one (shared with other vendors'
 * specs) keeps its mode.
 *
 * <p>Every file name comes from {@link CdiNames#specFileName}, which only accepts claim UIDs, and
 * is checked once more to resolve to a direct child of the CDI directory before any I/O.
 *
 * <p>Thread-safe for distinct claims; callers serialise operations on one claim.
 */
public final class CdiSpecWriter {
  /** Mode of every spec file: the runtime reads it as root; others have no business with it. */
  public static final Set<PosixFilePermission> SPEC_PERMISSIONS =
      PosixFilePermissions.fromString("rw-r-----");

  /** Mode of a CDI directory this class creates. */
  public static final Set<PosixFilePermission> DIRECTORY_PERMISSIONS =
      PosixFilePermissions.fromString("rwxr-x---");

  private static final String TEMP_SUFFIX = AtomicFileWriter.TEMP_SUFFIX;

  private final Path cdiRoot;

  /**
   * @param cdiRoot the CDI spec directory (e.g. {@code /var/run/cdi}); created on first write
   */
  public CdiSpecWriter(Path cdiRoot) {
    this.cdiRoot = cdiRoot.toAbsolutePath().normalize();
  }

  /** The CDI directory. */
  public Path cdiRoot() {
    return cdiRoot;
  }

  /**
   * Where claim {@code claimUid}'s spec lives.
   *
   * @throws IllegalArgumentException for an invalid UID
   */
  public Path specPath(String claimUid) {
    Path path = cdiRoot.resolve(CdiNames.specFileName(claimUid)).normalize();
    // Unreachable with a valid UID; kept as the last line of defence should the naming change.
    if (!cdiRoot.equals(path.getParent())) {
      throw new IllegalArgumentException("spec path " + path + " is not inside " + cdiRoot);
    }
    return path;
  }

  /**
   * Writes a claim's spec, replacing any previous one atomically; every reader sees it on return.
   *
   * @return the path written
   * @throws IllegalArgumentException when the spec is not claim {@code spec.claimUid()}'s; then
   *     nothing has been written
   * @throws UncheckedIOException when the write fails; no partial or temporary file remains
   */
  public Path write(ClaimSpec spec) {
    Path target = specPath(spec.claimUid());
    if (!target.getFileName().toString().equals(spec.fileName())) {
      throw new IllegalArgumentException("spec file name does not match claim " + spec.claimUid());
    }
    // Encode before touching the disk, so an encoding failure writes nothing.
    byte[] bytes = CdiJson.encode(spec.spec());
    try {
      try {
        AtomicFileWriter.publish(target, bytes, SPEC_PERMISSIONS);
      } catch (NoSuchFileException missingRoot) {
        // The first spec, or the directory removed meanwhile: made only then, which spares every
        // other write a lookup of the directory.
        PrivateDirectory.create(cdiRoot, DIRECTORY_PERMISSIONS);
        AtomicFileWriter.publish(target, bytes, SPEC_PERMISSIONS);
      }
      return target;
    } catch (AtomicMoveNotSupportedException e) {
      throw new UncheckedIOException(
          "CDI directory " + cdiRoot + " does not support atomic rename", e);
    } catch (IOException e) {
      throw new UncheckedIOException("writing CDI spec " + target + " failed", e);
    }
  }

  /**
   * Deletes claim {@code claimUid}'s spec, and nothing else: whatever sits at its name (a link
   * included) is unlinked itself, never what it points at.
   *
   * @return true when a spec was there; deleting an absent spec is not an error (idempotent
   *     unprepare)
   */
  public boolean delete(String claimUid) {
    Path target = specPath(claimUid);
    try {
      return Files.deleteIfExists(target);
    } catch (IOException e) {
      throw new UncheckedIOException("deleting CDI spec " + target + " failed", e);
    }
  }

  /**
   * The claim UIDs that have a spec file of ours, sorted. Files of other vendors, directories,
   * symbolic links and temporary files are ignored.
   */
  public List<String> listClaimUids() {
    return List.copyOf(new TreeSet<>(scan(false)));
  }

  /**
   * Deletes temporary files a crash may have left between writing and renaming.
   *
   * @return how many were removed
   */
  public int removeLeftoverTemporaryFiles() {
    return removeLeftoverTemporaryFiles(uid -> true);
  }

  /**
   * Deletes the temporary files a crash may have left between writing and renaming, of the claims
   * {@code mayRemove} accepts (by UID): the others' may belong to a write in flight in another
   * process sharing the directory.
   *
   * @return how many were removed
   */
  public int removeLeftoverTemporaryFiles(Predicate<String> mayRemove) {
    int removed = 0;
    for (String name : scan(true)) {
      if (!mayRemove.test(CdiNames.claimUidOfSpecFile(tempTarget(name)).orElseThrow())) {
        continue;
      }
      try {
        if (Files.deleteIfExists(cdiRoot.resolve(name))) {
          removed++;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("removing leftover " + name + " failed", e);
      }
    }
    return removed;
  }

  /** Our spec UIDs, or with {@code temporaries} our temporary file names. */
  private List<String> scan(boolean temporaries) {
    List<String> found = new ArrayList<>();
    if (!Files.isDirectory(cdiRoot)) {
      return found;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(cdiRoot)) {
      for (Path entry : entries) {
        if (!Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        String name = entry.getFileName().toString();
        if (temporaries) {
          if (name.startsWith(".") && name.endsWith(TEMP_SUFFIX)) {
            Optional<String> uid = CdiNames.claimUidOfSpecFile(tempTarget(name));
            if (uid.isPresent()) {
              found.add(name);
            }
          }
        } else {
          CdiNames.claimUidOfSpecFile(name).ifPresent(found::add);
        }
      }
    } catch (NoSuchFileException e) {
      return found;
    } catch (IOException e) {
      throw new UncheckedIOException("listing CDI directory " + cdiRoot + " failed", e);
    }
    return found;
  }

  /**
   * {@code .<target>.<random>.tmp} (or, from earlier versions, {@code
   * .<target>.<pid>-<thread>.tmp}) to {@code <target>}.
   */
  private static String tempTarget(String tempName) {
    String inner = tempName.substring(1, tempName.length() - TEMP_SUFFIX.length());
    int lastDot = inner.lastIndexOf('.');
    return lastDot < 0 ? inner : inner.substring(0, lastDot);
  }
}
