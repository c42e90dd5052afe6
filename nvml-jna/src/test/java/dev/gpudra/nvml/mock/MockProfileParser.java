package dev.gpudra.nvml.mock;

import dev.gpudra.nvml.mock.MockProfile.ComputeInstance;
import dev.gpudra.nvml.mock.MockProfile.Delay;
import dev.gpudra.nvml.mock.MockProfile.Faults;
import dev.gpudra.nvml.mock.MockProfile.Gpu;
import dev.gpudra.nvml.mock.MockProfile.GpuInstance;
import dev.gpudra.nvml.mock.MockProfile.GpuInstanceProfile;
import dev.gpudra.nvml.mock.MockProfile.MigTable;
import dev.gpudra.nvml.mock.MockProfile.PciAddress;
import dev.gpudra.nvml.mock.MockProfile.Placement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the mock NVML profile format into a {@link MockProfile}. It follows the C reader's rules
 * (blocks, include, per-field overrides, required fields); the C library stays the authority and
 * its self-test covers the rules this reader does not repeat (MIG creation limits). Not
 * thread-safe: one instance per parse.
 */
final class MockProfileParser {
  private static final Pattern PCI =
      Pattern.compile("(\\p{XDigit}{8}):(\\p{XDigit}{2}):(\\p{XDigit}{2})\\.0");
  private static final Pattern UUID =
      Pattern.compile(
          "GPU-\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}");
  private static final Pattern CC = Pattern.compile("(\\d+)\\.(\\d+)");
  private static final Pattern PARTIAL_CI = Pattern.compile("(\\d+)c\\.(.+)");
  private static final Set<Integer> CI_SLICES = Set.of(1, 2, 3, 4, 7);
  private static final int MAX_INCLUDE_DEPTH = 4;

  private final Path builtInDir;
  private String driverVersion = "550.54.15";
  private String nvmlVersion = "12.550.54.15";
  private int cudaDriverVersion = 12040;
  private final Map<String, MigTable> tables = new LinkedHashMap<>();
  private final Map<String, GpuFields> models = new LinkedHashMap<>();
  private final Map<Integer, GpuFields> gpus = new TreeMap<>();
  private Optional<String> initError = Optional.empty();
  private OptionalInt lostGpu = OptionalInt.empty();
  private final List<Delay> delays = new ArrayList<>();

  // Position, for error messages.
  private Path file;
  private int line;

  MockProfileParser(Path builtInDir) {
    this.builtInDir = builtInDir;
  }

  /** The mutable fields of a GPU or model while the file is read. */
  private static final class GpuFields {
    String name = "";
    String brand = "UNKNOWN";
    String architecture = "";
    int ccMajor;
    int ccMinor;
    long memoryMib;
    long reservedMib;
    String uuid = "";
    PciAddress pci = new PciAddress(0, 0, 0);
    int pciDeviceId;
    int pciSubsystemId;
    int minor;
    Optional<MigTable> migTable = Optional.empty();
    boolean migEnabled;
    boolean migPending;
    Map<Integer, GpuInstanceDraft> instances = new TreeMap<>();
    int declaredAt;

    GpuFields copy() {
      GpuFields c = new GpuFields();
      c.name = name;
      c.brand = brand;
      c.architecture = architecture;
      c.ccMajor = ccMajor;
      c.ccMinor = ccMinor;
      c.memoryMib = memoryMib;
      c.reservedMib = reservedMib;
      c.uuid = uuid;
      c.pci = pci;
      c.pciDeviceId = pciDeviceId;
      c.pciSubsystemId = pciSubsystemId;
      c.minor = minor;
      c.migTable = migTable;
      c.migEnabled = migEnabled;
      c.migPending = migPending;
      return c;
    }
  }

  private record GpuInstanceDraft(
      int id, GpuInstanceProfile profile, Placement placement, Map<Integer, ComputeInstance> cis) {}

  MockProfile parse(Path path) throws IOException {
    read(path, 0);
    List<Gpu> result = new ArrayList<>();
    for (int i = 0; i < gpus.size(); i++) {
      GpuFields g = gpus.get(i);
      if (g == null) {
        throw fail(path, 0, "gpu", "GPU " + i + " is missing (indices must be 0..N-1)");
      }
      result.add(toGpu(path, i, g, result));
    }
    if (lostGpu.isPresent() && lostGpu.getAsInt() >= result.size()) {
      throw fail(path, 0, "gpu-lost", "GPU " + lostGpu.getAsInt() + " does not exist");
    }
    String fileName = path.getFileName().toString();
    String name =
        fileName.endsWith(".profile") ? fileName.substring(0, fileName.length() - 8) : fileName;
    return new MockProfile(
        name,
        driverVersion,
        nvmlVersion,
        cudaDriverVersion,
        tables,
        result,
        new Faults(initError, lostGpu, delays));
  }

  private Gpu toGpu(Path path, int index, GpuFields g, List<Gpu> earlier) {
    String missing =
        g.name.isEmpty()
            ? "name"
            : g.uuid.isEmpty()
                ? "uuid"
                : g.memoryMib == 0
                    ? "memory-mib"
                    : g.ccMajor == 0
                        ? "compute-capability"
                        : g.architecture.isEmpty() ? "architecture" : null;
    if (missing != null) {
      throw fail(path, g.declaredAt, missing, "GPU " + index + " has no " + missing);
    }
    for (Gpu other : earlier) {
      String clash =
          other.uuid().equals(g.uuid)
              ? "uuid"
              : other.minor() == g.minor
                  ? "minor"
                  : other.pci().equals(g.pci) ? "pci-bus-id" : null;
      if (clash != null) {
        throw fail(
            path,
            g.declaredAt,
            clash,
            "GPU " + index + " has the same " + clash + " as GPU " + other.index());
      }
    }
    List<GpuInstance> instances = new ArrayList<>();
    for (GpuInstanceDraft d : g.instances.values()) {
      instances.add(
          new GpuInstance(d.id(), d.profile(), d.placement(), List.copyOf(d.cis().values())));
    }
    return new Gpu(
        index,
        g.name,
        g.brand,
        g.architecture,
        g.ccMajor,
        g.ccMinor,
        g.memoryMib,
        g.reservedMib,
        g.uuid,
        g.pci,
        g.pciDeviceId,
        g.pciSubsystemId,
        g.minor,
        g.migTable,
        g.migEnabled,
        g.migPending,
        instances);
  }

  private void read(Path path, int depth) throws IOException {
    Path outerFile = file;
    int outerLine = line;
    file = path;
    line = 0;
    String block = null;
    String blockName = null;
    List<String> tableLines = new ArrayList<>();
    for (String raw : Files.readAllLines(path)) {
      line++;
      String text = stripComment(raw).strip();
      if (text.isEmpty()) {
        continue;
      }
      String[] tok = text.split("\\s+");
      String rest = text.substring(tok[0].length()).strip();
      if (tok[0].equals("end")) {
        if (block == null) {
          throw fail("end", "no block is open");
        }
        if (block.equals("mig-table")) {
          tables.put(blockName, MigTables.build(blockName, tableLines, this::fail));
          tableLines.clear();
        }
        block = null;
        continue;
      }
      if (block == null) {
        switch (tok[0]) {
          case "include" -> {
            if (depth >= MAX_INCLUDE_DEPTH) {
              throw fail("include", "includes nested deeper than " + MAX_INCLUDE_DEPTH);
            }
            Path included = builtInDir.resolve(arg(tok, 1) + ".profile");
            if (!Files.isRegularFile(included)) {
              throw fail("include", "no built-in profile '" + tok[1] + "'");
            }
            int here = line;
            read(included, depth + 1);
            file = path;
            line = here;
          }
          case "driver-version" -> driverVersion = arg(tok, 1);
          case "nvml-version" -> nvmlVersion = arg(tok, 1);
          case "cuda-driver-version" ->
              cudaDriverVersion = (int) number("cuda-driver-version", arg(tok, 1));
          case "mig-table", "model" -> {
            block = tok[0];
            blockName = arg(tok, 1);
            if (block.equals("model")) {
              models.computeIfAbsent(blockName, k -> new GpuFields());
            } else if (tables.containsKey(blockName)) {
              throw fail("mig-table", "'" + blockName + "' is defined twice");
            }
          }
          case "gpu" -> {
            block = "gpu";
            int index = (int) number("gpu", arg(tok, 1));
            blockName = Integer.toString(index);
            int declaredAt = line;
            gpus.computeIfAbsent(
                index,
                k -> {
                  GpuFields g = new GpuFields();
                  g.declaredAt = declaredAt;
                  return g;
                });
          }
          case "fault" -> fault(tok);
          default -> throw fail(tok[0], "unknown keyword at top level");
        }
        continue;
      }
      switch (block) {
        case "mig-table" -> tableLines.add(line + "\t" + text);
        case "model" -> gpuField(models.get(blockName), tok, rest);
        default -> gpuLine(Integer.parseInt(blockName), tok, rest);
      }
    }
    if (block != null) {
      throw fail("end", "block not closed at end of file");
    }
    file = outerFile;
    line = outerLine;
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

  private void gpuLine(int index, String[] tok, String rest) {
    GpuFields g = gpus.get(index);
    switch (tok[0]) {
      case "model" -> {
        GpuFields model = models.get(arg(tok, 1));
        if (model == null) {
          throw fail("model", "no model named '" + tok[1] + "' is defined above");
        }
        GpuFields copy = model.copy();
        copy.declaredAt = g.declaredAt;
        copy.instances = g.instances;
        gpus.put(index, copy);
      }
      case "gpu-instance" -> {
        MigTable table = g.migTable.orElseThrow(() -> fail(tok[0], "this GPU has no mig-table"));
        GpuInstanceProfile profile =
            table
                .profile(arg(tok, 2))
                .orElseThrow(
                    () ->
                        fail(
                            "profile",
                            "no GPU-instance profile '"
                                + tok[2]
                                + "' in mig-table "
                                + table.name()));
        int start = (int) number("start", arg(tok, 3));
        Placement placement =
            profile.placements().stream()
                .filter(p -> p.start() == start)
                .findFirst()
                .orElseThrow(
                    () ->
                        fail(
                            "start",
                            start + " is not a possible placement start of " + profile.name()));
        if (!g.migEnabled) {
          throw fail("gpu-instance", "MIG mode is not enabled on this GPU");
        }
        for (GpuInstanceDraft other : g.instances.values()) {
          if (other.placement().overlaps(placement)) {
            throw fail("start", "overlaps another GPU instance");
          }
        }
        int id = (int) number("id", arg(tok, 1));
        if (g.instances.putIfAbsent(
                id, new GpuInstanceDraft(id, profile, placement, new TreeMap<>()))
            != null) {
          throw fail("id", "id " + id + " is taken");
        }
      }
      case "compute-instance" -> {
        GpuInstanceDraft parent = g.instances.get((int) number("gpu-instance", arg(tok, 1)));
        if (parent == null) {
          throw fail("gpu-instance", "no gpu-instance " + tok[1] + " declared above on this GPU");
        }
        int slices = computeSlices(parent.profile(), arg(tok, 3));
        int start = (int) number("start", arg(tok, 4));
        Placement placement = new Placement(start, slices);
        if (start % slices != 0 || placement.end() > parent.profile().slices()) {
          throw fail(
              "start",
              start
                  + " is not a possible placement start of a "
                  + slices
                  + "-slice compute instance");
        }
        for (ComputeInstance other : parent.cis().values()) {
          if (other.placement().overlaps(placement)) {
            throw fail("start", "overlaps another compute instance");
          }
        }
        int id = (int) number("id", arg(tok, 2));
        if (parent.cis().putIfAbsent(id, new ComputeInstance(id, tok[3], placement)) != null) {
          throw fail("id", "id " + id + " is taken");
        }
      }
      case "clear-instances" -> g.instances.clear();
      default -> gpuField(g, tok, rest);
    }
  }

  /** Slices of a compute-instance profile name: the GI profile's own name, or "Nc.<gi name>". */
  private int computeSlices(GpuInstanceProfile gi, String name) {
    if (name.equals(gi.name())) {
      return gi.slices();
    }
    Matcher m = PARTIAL_CI.matcher(name);
    if (m.matches() && m.group(2).equals(gi.name())) {
      int c = Integer.parseInt(m.group(1));
      boolean valid = CI_SLICES.contains(c) && c < gi.slices() && (c <= 2 || gi.slices() == 7);
      if (valid) {
        return c;
      }
    }
    throw fail(
        "profile",
        "no compute-instance profile '" + name + "' in GPU instance profile " + gi.name());
  }

  private void gpuField(GpuFields g, String[] tok, String rest) {
    String key = tok[0];
    switch (key) {
      case "name" -> g.name = require(key, rest);
      case "uuid" -> {
        if (!UUID.matcher(arg(tok, 1)).matches()) {
          throw fail(
              key, "'" + tok[1] + "' is not of the form GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
        }
        g.uuid = tok[1];
      }
      case "brand" -> g.brand = arg(tok, 1).toUpperCase(Locale.ROOT);
      case "architecture" -> g.architecture = arg(tok, 1).toUpperCase(Locale.ROOT);
      case "compute-capability" -> {
        Matcher m = CC.matcher(arg(tok, 1));
        if (!m.matches()) {
          throw fail(key, "expected MAJOR.MINOR, found '" + tok[1] + "'");
        }
        g.ccMajor = Integer.parseInt(m.group(1));
        g.ccMinor = Integer.parseInt(m.group(2));
      }
      case "memory-mib" -> g.memoryMib = number(key, arg(tok, 1));
      case "reserved-mib" -> g.reservedMib = number(key, arg(tok, 1));
      case "pci-bus-id" -> {
        Matcher m = PCI.matcher(arg(tok, 1));
        if (!m.matches()) {
          throw fail(key, "expected DDDDDDDD:BB:DD.0 in hex, found '" + tok[1] + "'");
        }
        g.pci =
            new PciAddress(
                Integer.parseUnsignedInt(m.group(1), 16),
                Integer.parseInt(m.group(2), 16),
                Integer.parseInt(m.group(3), 16));
      }
      case "pci-device-id" -> g.pciDeviceId = (int) number(key, arg(tok, 1));
      case "pci-subsystem-id" -> g.pciSubsystemId = (int) number(key, arg(tok, 1));
      case "minor" -> g.minor = (int) number(key, arg(tok, 1));
      case "mig-table" -> {
        String table = arg(tok, 1);
        if (table.equals("none")) {
          g.migTable = Optional.empty();
        } else if (tables.containsKey(table)) {
          g.migTable = Optional.of(tables.get(table));
        } else {
          throw fail(key, "no mig-table named '" + table + "' is defined above");
        }
      }
      case "mig-mode" -> g.migEnabled = mode(key, arg(tok, 1));
      case "mig-pending" -> g.migPending = mode(key, arg(tok, 1));
      default -> throw fail(key, "unknown field");
    }
  }

  private void fault(String[] tok) {
    switch (arg(tok, 1)) {
      case "init-error" ->
          initError =
              Optional.of(
                  NvmlErrors.canonical(arg(tok, 2))
                      .orElseThrow(
                          () -> fail("init-error", "unknown NVML error '" + tok[2] + "'")));
      case "gpu-lost" -> lostGpu = OptionalInt.of((int) number("gpu-lost", arg(tok, 2)));
      case "delay" -> delays.add(new Delay(arg(tok, 2), (int) number("delay", arg(tok, 3))));
      default -> throw fail("fault", "unknown kind '" + tok[1] + "'");
    }
  }

  private boolean mode(String key, String value) {
    return switch (value) {
      case "enabled" -> true;
      case "disabled" -> false;
      default -> throw fail(key, "expected 'enabled' or 'disabled', found '" + value + "'");
    };
  }

  private String arg(String[] tok, int i) {
    if (i >= tok.length) {
      throw fail(tok[0], "missing value: " + String.join(" ", Arrays.asList(tok)));
    }
    return tok[i];
  }

  private String require(String key, String value) {
    if (value.isEmpty()) {
      throw fail(key, "missing value");
    }
    return value;
  }

  long number(String key, String text) {
    try {
      long value =
          text.startsWith("0x") ? Long.parseLong(text.substring(2), 16) : Long.parseLong(text);
      if (value < 0) {
        throw fail(key, "expected a non-negative number");
      }
      return value;
    } catch (NumberFormatException e) {
      throw fail(key, "'" + text + "' is not a number");
    }
  }

  IllegalArgumentException fail(String field, String reason) {
    return fail(file, line, field, reason);
  }

  IllegalArgumentException fail(int atLine, String field, String reason) {
    return fail(file, atLine, field, reason);
  }

  private static IllegalArgumentException fail(Path path, int atLine, String field, String reason) {
    return new IllegalArgumentException(path + ":" + atLine + ": " + field + ": " + reason);
  }
}
