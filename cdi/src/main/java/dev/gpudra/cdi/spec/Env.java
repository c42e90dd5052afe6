package dev.gpudra.cdi.spec;

import java.util.List;

/** Validation of {@code KEY=value} environment entries, shared by container edits and hooks. */
final class Env {
  private Env() {}

  /** Copies the list, rejecting entries a runtime would refuse (no key before the first '='). */
  static List<String> requireValid(List<String> env, String what) {
    List<String> copy = env == null ? List.of() : List.copyOf(env);
    for (String entry : copy) {
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            what + " entry must have the form KEY=value: " + ContainerPaths.quote(entry));
      }
      if (entry.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(what + " entry contains a NUL character");
      }
    }
    return copy;
  }
}
