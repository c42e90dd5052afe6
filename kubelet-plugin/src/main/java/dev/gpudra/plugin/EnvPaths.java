package dev.gpudra.plugin;

import dev.gpudra.core.config.EnvReader;
import java.nio.file.Path;

/**
 * Reads file-system paths through an {@link EnvReader}; core is pure and does not know {@link
 * Path}, so the plugin's configuration records share this one place for it.
 */
public final class EnvPaths {

  /** Completes "{@code <key> is not a path, got: <value>}". */
  public static final String NOT_A_PATH = "is not a path";

  private EnvPaths() {}

  /**
   * An absolute path, normalized, or {@code fallback} when unset.
   *
   * @throws IllegalArgumentException naming the key when the value is not an absolute path
   */
  public static Path absolute(EnvReader env, String key, Path fallback) {
    Path p = env.value(key, fallback, Path::of, NOT_A_PATH);
    if (!p.isAbsolute()) {
      throw new IllegalArgumentException(key + " must be an absolute path, got: " + p);
    }
    return p.normalize();
  }
}
