package dev.gpudra.testkit.nvml;

import dev.gpudra.testkit.nvml.MockProfile.GpuInstanceProfile;
import dev.gpudra.testkit.nvml.MockProfile.MigTable;
import dev.gpudra.testkit.nvml.MockProfile.Placement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Builds a {@link MigTable} from the lines of a {@code mig-table} block of a mock profile. */
final class MigTables {
  private static final Pattern COMMA = Pattern.compile(",");
  private static final Pattern COLON = Pattern.compile(":");
  private static final Set<String> FIELDS =
      Set.of(
          "id",
          "name",
          "slices",
          "memory-mib",
          "sm",
          "ce",
          "dec",
          "enc",
          "jpeg",
          "ofa",
          "instances",
          "placements");

  /** Reports a malformed line: line number, field, reason. */
  @FunctionalInterface
  interface Failure {
    IllegalArgumentException at(int line, String field, String reason);
  }

  private MigTables() {}

  /**
   * @param lines the block's lines, each as {@code <line number> TAB <text>}
   */
  static MigTable build(String name, List<String> lines, Failure failure) {
    int memorySlices = 8;
    int computeSlices = 7;
    List<GpuInstanceProfile> profiles = new ArrayList<>();
    for (String entry : lines) {
      int tab = entry.indexOf('\t');
      int line = Integer.parseInt(entry.substring(0, tab));
      String[] tok = entry.substring(tab + 1).split("\\s+");
      switch (tok[0]) {
        case "memory-slices" -> memorySlices = Integer.parseInt(tok[1]);
        case "compute-slices" -> computeSlices = Integer.parseInt(tok[1]);
        case "gi-profile" -> profiles.add(profile(tok, line, memorySlices, failure));
        default -> throw failure.at(line, tok[0], "unknown field in mig-table");
      }
    }
    return new MigTable(name, memorySlices, computeSlices, profiles);
  }

  private static GpuInstanceProfile profile(
      String[] tok, int line, int memorySlices, Failure failure) {
    Map<String, String> values = new HashMap<>();
    for (int i = 2; i < tok.length; i++) {
      int eq = tok[i].indexOf('=');
      if (eq < 0) {
        throw failure.at(line, tok[i], "expected KEY=VALUE");
      }
      String key = tok[i].substring(0, eq);
      if (!FIELDS.contains(key)) {
        throw failure.at(line, key, "unknown gi-profile field");
      }
      values.put(key, tok[i].substring(eq + 1));
    }
    for (String field : FIELDS) {
      if (!values.containsKey(field)) {
        throw failure.at(line, field, "missing in gi-profile");
      }
    }
    List<Placement> placements = new ArrayList<>();
    for (String item : COMMA.split(values.get("placements"), -1)) {
      String[] parts = COLON.split(item, -1);
      if (parts.length != 2) {
        throw failure.at(line, "placements", "expected START:SIZE, found '" + item + "'");
      }
      Placement p = new Placement(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
      if (p.end() > memorySlices) {
        throw failure.at(
            line, "placements", item + " ends beyond memory-slices (" + memorySlices + ")");
      }
      placements.add(p);
    }
    return new GpuInstanceProfile(
        Integer.parseInt(tok[1]),
        Integer.parseInt(values.get("id")),
        values.get("name"),
        Integer.parseInt(values.get("slices")),
        Long.parseLong(values.get("memory-mib")),
        Integer.parseInt(values.get("sm")),
        Integer.parseInt(values.get("ce")),
        Integer.parseInt(values.get("dec")),
        Integer.parseInt(values.get("enc")),
        Integer.parseInt(values.get("jpeg")),
        Integer.parseInt(values.get("ofa")),
        Integer.parseInt(values.get("instances")),
        placements);
  }
}
