package dev.gpudra.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The entries of one layer, read from directories that mirror the image's root (a file at {@code
 * ROOT/app/lib/x.jar} becomes {@code /app/lib/x.jar}). Entries are sorted by path, which puts every
 * directory before its contents and makes the layer independent of the order the file system lists
 * files in. Modes are normalised so that the build machine's umask cannot change a digest:
 * directories 0755, or 1777 when sticky (/tmp), files 0755 when their owner may execute them and
 * 0644 otherwise, links 0777.
 */
final class LayerContents {
  private LayerContents() {}

  /**
   * Reads the roots, which may overlap in directories but not in files or links.
   *
   * @throws IllegalArgumentException when two roots hold different entries at one path
   */
  static List<LayerEntry> read(List<Path> roots) {
    SortedMap<String, LayerEntry> entries = new TreeMap<>();
    for (Path root : roots) {
      if (!Files.isDirectory(root)) {
        throw new IllegalArgumentException("layer source is not a directory: " + root);
      }
      try (Stream<Path> walk = Files.walk(root)) {
        walk.filter(p -> !p.equals(root)).forEach(p -> add(entries, root, p));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read layer source " + root, e);
      }
    }
    return List.copyOf(entries.values());
  }

  private static void add(Map<String, LayerEntry> entries, Path root, Path file) {
    String path = root.relativize(file).toString();
    LayerEntry entry = entry(path, file);
    LayerEntry existing = entries.putIfAbsent(path, entry);
    if (existing != null
        && !(existing.kind() == LayerEntry.Kind.DIRECTORY
            && entry.kind() == LayerEntry.Kind.DIRECTORY)) {
      throw new IllegalArgumentException(
          "two layer sources hold /" + path + ": " + existing.source() + " and " + file);
    }
  }

  private static LayerEntry entry(String path, Path file) {
    try {
      if (Files.isSymbolicLink(file)) {
        return new LayerEntry(
            path, LayerEntry.Kind.SYMLINK, 0777, file, Files.readSymbolicLink(file).toString());
      }
      int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
        int normalised = (mode & 01000) != 0 ? 01777 : 0755;
        return new LayerEntry(path, LayerEntry.Kind.DIRECTORY, normalised, file, null);
      }
      if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        int normalised = (mode & 0100) != 0 ? 0755 : 0644;
        return new LayerEntry(path, LayerEntry.Kind.FILE, normalised, file, null);
      }
      throw new IllegalArgumentException("not a file, directory or link: " + file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
