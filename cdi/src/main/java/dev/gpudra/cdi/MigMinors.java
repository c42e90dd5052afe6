package dev.gpudra.cdi;

import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code nvidia-caps} minor numbers of MIG capabilities, parsed from the driver's {@code
 * /proc/driver/nvidia-caps/mig-minors}.
 *
 * <p>Each line of that file is {@code <capability> <minor>}, the capability one of {@code config},
 * {@code monitor}, {@code gpu<m>/gi<g>/access} or {@code gpu<m>/gi<g>/ci<c>/access} with {@code
 * <m>} the GPU's minor number. The device node of a capability is {@code
 * /dev/nvidia-caps/nvidia-cap<minor>}. The driver lists every possible instance, created or not.
 *
 * @param minorsByCapability capability path to minor
 */
public record MigMinors(Map<String, Integer> minorsByCapability) {
  private static final Pattern LINE =
      Pattern.compile("(config|monitor|gpu\\d+/gi\\d+/access|gpu\\d+/gi\\d+/ci\\d+/access) (\\d+)");

  /** No MIG capabilities (a node without MIG support). */
  public static final MigMinors NONE = new MigMinors(Map.of());

  /** Copies the map. */
  public MigMinors {
    minorsByCapability = Map.copyOf(minorsByCapability);
  }

  /**
   * Parses the file's content.
   *
   * @throws IllegalArgumentException on a malformed line, naming it: the file is written by the
   *     kernel module, so anything unexpected means we would hand out the wrong node
   */
  public static MigMinors parse(String content) {
    Map<String, Integer> minors = new TreeMap<>();
    int lineNo = 0;
    for (String raw : content.split("\n", -1)) {
      lineNo++;
      String line = raw.strip();
      if (line.isEmpty()) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "mig-minors line " + lineNo + " is not '<capability> <minor>': " + CdiNames.quote(raw));
      }
      int minor;
      try {
        minor = Integer.parseInt(m.group(2));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("mig-minors line " + lineNo + ": minor too large", e);
      }
      if (minors.put(m.group(1), minor) != null) {
        throw new IllegalArgumentException(
            "mig-minors line " + lineNo + ": capability " + m.group(1) + " listed twice");
      }
    }
    return new MigMinors(minors);
  }

  /** Minor of {@code gpu<gpuMinor>/gi<gi>/access}, if listed. */
  public OptionalInt gpuInstance(int gpuMinor, int gi) {
    return lookup("gpu" + gpuMinor + "/gi" + gi + "/access");
  }

  /** Minor of {@code gpu<gpuMinor>/gi<gi>/ci<ci>/access}, if listed. */
  public OptionalInt computeInstance(int gpuMinor, int gi, int ci) {
    return lookup("gpu" + gpuMinor + "/gi" + gi + "/ci" + ci + "/access");
  }

  private OptionalInt lookup(String capability) {
    Integer minor = minorsByCapability.get(capability);
    return minor == null ? OptionalInt.empty() : OptionalInt.of(minor);
  }
}
