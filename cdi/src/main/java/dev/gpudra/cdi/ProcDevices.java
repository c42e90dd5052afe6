package dev.gpudra.cdi;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parser of the kernel's {@code /proc/devices} listing.
 *
 * <p>The file has a {@code Character devices:} section and a {@code Block devices:} section, each
 * line {@code <major> <name>} with the major right-aligned. Only character devices matter here.
 */
public final class ProcDevices {
  private ProcDevices() {}

  /**
   * Character device names mapped to their majors, in file order.
   *
   * @throws IllegalArgumentException on a line that is neither a header nor {@code <major> <name>},
   *     naming the line
   */
  public static Map<String, Integer> characterDevices(String content) {
    Map<String, Integer> result = new LinkedHashMap<>();
    boolean inCharSection = false;
    int lineNo = 0;
    for (String raw : content.split("\n", -1)) {
      lineNo++;
      String line = raw.strip();
      if (line.isEmpty()) {
        continue;
      }
      if (line.equals("Character devices:")) {
        inCharSection = true;
        continue;
      }
      if (line.equals("Block devices:")) {
        inCharSection = false;
        continue;
      }
      String[] parts = line.split("\\s+", 2);
      if (parts.length != 2 || !parts[0].chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException(
            "/proc/devices line " + lineNo + " is not '<major> <name>': " + CdiNames.quote(raw));
      }
      if (inCharSection) {
        // A name can be registered under several majors; the first is the one in use for the
        // device nodes the driver creates.
        result.putIfAbsent(parts[1], Integer.parseInt(parts[0]));
      }
    }
    return result;
  }
}
