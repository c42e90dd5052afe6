package dev.gpudra.testkit.nvml;

import dev.gpudra.testkit.nvml.GpuDraft.InstanceDraft;
import dev.gpudra.testkit.nvml.MockProfile.ComputeInstance;
import dev.gpudra.testkit.nvml.MockProfile.Delay;
import dev.gpudra.testkit.nvml.MockProfile.Faults;
import dev.gpudra.testkit.nvml.MockProfile.Gpu;
import dev.gpudra.testkit.nvml.MockProfile.GpuInstanceProfile;
import dev.gpudra.testkit.nvml.MockProfile.MigTable;
import dev.gpudra.testkit.nvml.MockProfile.Placement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the mock NVML profile format into a {@link MockProfile}. It follows the C reader's rules
 * (blocks, include, per-field overrides, required fields, valid initial instances); the C library
 * stays the authority, and its self-test covers what this reader does not repeat (MIG creation
 * limits across processes). Not thread-safe: one instance per parse.
 */
final class MockProfileParser {
  private static final Pattern BLANKS = Pattern.compile("\\s+");
  private static final Pattern PARTIAL_CI = Pattern.compile("(\\d+)c\\.(.+)");
  private static final Set<Integer> CI_SLICES = Set.of(1, 2, 3, 4, 7);
  private static final int MAX_INCLUDE_DEPTH = 4;

  private final Path builtInDir;
  private String driverVersion = "550.54.15";
  private String nvmlVersion = "12.550.54.15";
  private int cudaDriverVersion = 12040;
  private final Map<String, MigTable> tables = new LinkedHashMap<>();
  private final Map<String, GpuDraft> models = new LinkedHashMap<>();
  private final Map<Integer, GpuDraft> gpus = new TreeMap<>();
  private Optional<String> initError = Optional.empty();
  private OptionalInt lostGpu = OptionalInt.empty();
  private final List<Delay> delays = new ArrayList<>();

  MockProfileParser(Path builtInDir) {
    this.builtInDir = builtInDir;
  }

  MockProfile parse(Path path) throws IOException {
    read(path, 0);
    List<Gpu> result = new ArrayList<>();
    for (int i = 0; i < gpus.size(); i++) {
      GpuDraft draft = gpus.get(i);
      if (draft == null) {
        throw ProfileLine.at(path, 0, "gpu", "GPU " + i + " is missing (indices must be 0..N-1)");
      }
      Gpu gpu = draft.build(path, i);
      for (Gpu other : result) {
        String clash =
            other.uuid().equals(gpu.uuid())
                ? "uuid"
                : other.minor() == gpu.minor()
                    ? "minor"
                    : other.pci().equals(gpu.pci()) ? "pci-bus-id" : null;
        if (clash != null) {
          throw ProfileLine.at(
              path,
              draft.declaredAt,
              clash,
              "GPU " + i + " has the same " + clash + " as GPU " + other.index());
        }
      }
      result.add(gpu);
    }
    if (lostGpu.isPresent() && lostGpu.getAsInt() >= result.size()) {
      throw ProfileLine.at(path, 0, "gpu-lost", "GPU " + lostGpu.getAsInt() + " does not exist");
    }
    String fileName = path.getFileName().toString();
    String name =
        fileName.endsWith(".profile")
            ? fileName.substring(0, fileName.length() - ".profile".length())
            : fileName;
    return new MockProfile(
        name,
        driverVersion,
        nvmlVersion,
        cudaDriverVersion,
        tables,
        result,
        new Faults(initError, lostGpu, delays));
  }

  private void read(Path path, int depth) throws IOException {
    String block = null;
    String blockName = null;
    List<String> tableLines = new ArrayList<>();
    List<String> raw = Files.readAllLines(path);
    for (int n = 1; n <= raw.size(); n++) {
      String text = stripComment(raw.get(n - 1)).strip();
      if (text.isEmpty()) {
        continue;
      }
      List<String> words = List.of(BLANKS.split(text));
      ProfileLine line =
          new ProfileLine(path, n, words, text.substring(words.getFirst().length()).strip());
      if (line.keyword().equals("end")) {
        if (block == null) {
          throw line.fail("end", "no block is open");
        }
        if (block.equals("mig-table")) {
          tables.put(
              blockName,
              MigTables.build(
                  blockName, tableLines, (at, field, why) -> ProfileLine.at(path, at, field, why)));
          tableLines.clear();
        }
        block = null;
      } else if (block == null) {
        block = topLevel(line, depth);
        blockName = block == null ? null : line.arg(1);
      } else if (block.equals("mig-table")) {
        tableLines.add(n + "\t" + text);
      } else if (block.equals("model")) {
        models.get(blockName).set(line, tables);
      } else {
        gpuLine(Integer.parseInt(blockName), line);
      }
    }
    if (block != null) {
      throw ProfileLine.at(path, raw.size(), "end", "block not closed at end of file");
    }
  }

  /** Handles a top-level line; returns the block it opens, if any. */
  private String topLevel(ProfileLine line, int depth) throws IOException {
    switch (line.keyword()) {
      case "include" -> {
        if (depth >= MAX_INCLUDE_DEPTH) {
          throw line.fail("include", "includes nested deeper than " + MAX_INCLUDE_DEPTH);
        }
        Path included = builtInDir.resolve(line.arg(1) + ".profile");
        if (!Files.isRegularFile(included)) {
          throw line.fail("include", "no built-in profile '" + line.arg(1) + "'");
        }
        read(included, depth + 1);
        return null;
      }
      case "driver-version" -> driverVersion = line.arg(1);
      case "nvml-version" -> nvmlVersion = line.arg(1);
      case "cuda-driver-version" -> cudaDriverVersion = (int) line.number("cuda-driver-version", 1);
      case "mig-table" -> {
        if (tables.containsKey(line.arg(1))) {
          throw line.fail("mig-table", "'" + line.arg(1) + "' is defined twice");
        }
        return "mig-table";
      }
      case "model" -> {
        models.computeIfAbsent(line.arg(1), k -> new GpuDraft());
        return "model";
      }
      case "gpu" -> {
        int index = (int) line.number("gpu", 1);
        gpus.computeIfAbsent(
            index,
            k -> {
              GpuDraft g = new GpuDraft();
              g.declaredAt = line.number();
              return g;
            });
        return "gpu";
      }
      case "fault" -> fault(line);
      default -> throw line.fail(line.keyword(), "unknown keyword at top level");
    }
    return null;
  }

  private static String stripComment(String raw) {
    for (int i = 0; i < raw.length(); i++) {
      if (raw.charAt(i) == '#'
          && (i == 0 || raw.charAt(i - 1) == ' ' || raw.charAt(i - 1) == '\t')) {
        return raw.substring(0, i);
      }
    }
    return raw;
  }

  private void gpuLine(int index, ProfileLine line) {
    GpuDraft g = gpus.get(index);
    switch (line.keyword()) {
      case "model" -> {
        GpuDraft model = models.get(line.arg(1));
        if (model == null) {
          throw line.fail("model", "no model named '" + line.arg(1) + "' is defined above");
        }
        GpuDraft copy = model.copyFields();
        copy.declaredAt = g.declaredAt;
        copy.instances = g.instances;
        gpus.put(index, copy);
      }
      case "gpu-instance" -> gpuInstance(g, line);
      case "compute-instance" -> computeInstance(g, line);
      case "clear-instances" -> g.instances.clear();
      default -> g.set(line, tables);
    }
  }

  private static void gpuInstance(GpuDraft g, ProfileLine line) {
    MigTable table =
        g.migTable.orElseThrow(() -> line.fail(line.keyword(), "this GPU has no mig-table"));
    GpuInstanceProfile profile =
        table
            .profile(line.arg(2))
            .orElseThrow(
                () ->
                    line.fail(
                        "profile",
                        "no GPU-instance profile '"
                            + line.arg(2)
                            + "' in mig-table "
                            + table.name()));
    int start = (int) line.number("start", 3);
    Placement placement =
        profile.placements().stream()
            .filter(p -> p.start() == start)
            .findFirst()
            .orElseThrow(
                () ->
                    line.fail(
                        "start",
                        start + " is not a possible placement start of " + profile.name()));
    if (!g.migEnabled) {
      throw line.fail("gpu-instance", "MIG mode is not enabled on this GPU");
    }
    for (InstanceDraft other : g.instances.values()) {
      if (other.placement().overlaps(placement)) {
        throw line.fail("start", "overlaps another GPU instance");
      }
    }
    int id = (int) line.number("id", 1);
    if (g.instances.putIfAbsent(id, new InstanceDraft(id, profile, placement, new TreeMap<>()))
        != null) {
      throw line.fail("id", "id " + id + " is taken");
    }
  }

  private static void computeInstance(GpuDraft g, ProfileLine line) {
    InstanceDraft parent = g.instances.get((int) line.number("gpu-instance", 1));
    if (parent == null) {
      throw line.fail(
          "gpu-instance", "no gpu-instance " + line.arg(1) + " declared above on this GPU");
    }
    int slices = computeSlices(parent.profile(), line);
    int start = (int) line.number("start", 4);
    Placement placement = new Placement(start, slices);
    if (start % slices != 0 || placement.end() > parent.profile().slices()) {
      throw line.fail(
          "start",
          start + " is not a possible placement start of a " + slices + "-slice compute instance");
    }
    for (ComputeInstance other : parent.computeInstances().values()) {
      if (other.placement().overlaps(placement)) {
        throw line.fail("start", "overlaps another compute instance");
      }
    }
    int id = (int) line.number("id", 2);
    if (parent.computeInstances().putIfAbsent(id, new ComputeInstance(id, line.arg(3), placement))
        != null) {
      throw line.fail("id", "id " + id + " is taken");
    }
  }

  /** Slices of a compute-instance profile name: the GI profile's own name, or "Nc.<gi name>". */
  private static int computeSlices(GpuInstanceProfile gi, ProfileLine line) {
    String name = line.arg(3);
    if (name.equals(gi.name())) {
      return gi.slices();
    }
    Matcher m = PARTIAL_CI.matcher(name);
    if (m.matches() && m.group(2).equals(gi.name())) {
      int c = Integer.parseInt(m.group(1));
      if (CI_SLICES.contains(c) && c < gi.slices() && (c <= 2 || gi.slices() == 7)) {
        return c;
      }
    }
    throw line.fail(
        "profile",
        "no compute-instance profile '" + name + "' in GPU instance profile " + gi.name());
  }

  private void fault(ProfileLine line) {
    switch (line.arg(1)) {
      case "init-error" ->
          initError =
              Optional.of(
                  NvmlErrors.canonical(line.arg(2))
                      .orElseThrow(
                          () ->
                              line.fail("init-error", "unknown NVML error '" + line.arg(2) + "'")));
      case "gpu-lost" -> lostGpu = OptionalInt.of((int) line.number("gpu-lost", 2));
      case "delay" -> delays.add(new Delay(line.arg(2), (int) line.number("delay", 3)));
      default -> throw line.fail("fault", "unknown kind '" + line.arg(1) + "'");
    }
  }
}
