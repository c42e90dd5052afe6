package dev.gpudra.cdi.spec;

/**
 * Validation of the absolute paths a CDI spec names (device nodes, mounts, hooks).
 *
 * <p>A path is accepted only in its plain form: absolute, no empty, {@code .} or {@code ..}
 * segments, no trailing slash, no control characters. Refusing anything a runtime would have to
 * normalise means no path in a spec we write can point somewhere other than what it spells.
 */
public final class ContainerPaths {
  private ContainerPaths() {}

  /**
   * Returns {@code path} when it is a plain absolute path, otherwise throws.
   *
   * @param what names the field in the error message
   * @throws IllegalArgumentException naming {@code what} and the offending path
   */
  public static String requireAbsolute(String path, String what) {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException(what + " must be an absolute path, got an empty value");
    }
    if (path.charAt(0) != '/') {
      throw new IllegalArgumentException(what + " must be an absolute path: " + quote(path));
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException(what + " contains a control character: " + quote(path));
      }
    }
    if (path.length() > 1) {
      for (String segment : path.substring(1).split("/", -1)) {
        if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
          throw new IllegalArgumentException(
              what
                  + " must be a normalised absolute path (no empty, '.' or '..' segments): "
                  + quote(path));
        }
      }
    }
    return path;
  }

  /** Joins a validated absolute root and a validated absolute path below it. */
  public static String join(String root, String absolutePath) {
    requireAbsolute(root, "root");
    requireAbsolute(absolutePath, "path");
    return root.equals("/") ? absolutePath : root + absolutePath;
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
