package dev.gpudra.image;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One entry of an image layer: a directory, a regular file (copied from {@code source}) or a
 * symbolic link. {@code path} is relative to the image's root, without leading or trailing slash.
 */
record LayerEntry(String path, Kind kind, int mode, Path source, String linkTarget) {
  /** What the entry is. */
  enum Kind {
    DIRECTORY,
    FILE,
    SYMLINK
  }

  LayerEntry {
    Objects.requireNonNull(kind, "kind");
    if (path.isEmpty() || path.startsWith("/") || path.endsWith("/")) {
      throw new IllegalArgumentException("layer path must be relative and not end in /: " + path);
    }
    if (kind == Kind.FILE) {
      Objects.requireNonNull(source, "source of " + path);
    }
    if (kind == Kind.SYMLINK) {
      Objects.requireNonNull(linkTarget, "link target of " + path);
    }
  }
}
