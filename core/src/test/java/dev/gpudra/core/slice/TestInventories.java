package dev.gpudra.core.slice;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigCounters;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.device.NodeInventory;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/** Hand-built inventories with NVIDIA's published MIG tables for the A100 80GB and H100 80GB. */
final class TestInventories {

  static final long MIB = 1024L * 1024L;

  private TestInventories() {}

  private static List<MigPlacement> starts(int size, int... starts) {
    return IntStream.of(starts).mapToObj(start -> new MigPlacement(start, size)).toList();
  }

  private static MigProfile profile(
      int index,
      int id,
      String name,
      int slices,
      long mib,
      int sm,
      int ce,
      int dec,
      int jpg,
      int ofa,
      int count,
      List<MigPlacement> placements) {
    int memorySlices = placements.getFirst().size();
    return new MigProfile(
        index,
        id,
        name,
        slices,
        mib * MIB,
        new MigCounters(memorySlices, sm, ce, dec, 0, jpg, ofa),
        count,
        placements);
  }

  static List<MigProfile> a100Profiles() {
    return List.of(
        profile(0, 19, "1g.10gb", 1, 9728, 14, 1, 0, 0, 0, 7, starts(1, 0, 1, 2, 3, 4, 5, 6)),
        profile(1, 14, "2g.20gb", 2, 19968, 28, 2, 1, 0, 0, 3, starts(2, 0, 2, 4)),
        profile(2, 9, "3g.40gb", 3, 40192, 42, 3, 2, 0, 0, 2, starts(4, 0, 4)),
        profile(3, 5, "4g.40gb", 4, 40192, 56, 4, 2, 0, 0, 1, starts(4, 0)),
        profile(4, 0, "7g.80gb", 7, 80896, 98, 7, 5, 1, 1, 1, starts(8, 0)),
        profile(7, 20, "1g.10gb+me", 1, 9728, 14, 1, 1, 1, 1, 1, starts(1, 0, 1, 2, 3, 4, 5, 6)),
        profile(9, 15, "1g.20gb", 1, 19968, 14, 1, 1, 0, 0, 4, starts(2, 0, 2, 4, 6)));
  }

  static List<MigProfile> h100Profiles() {
    return List.of(
        profile(0, 19, "1g.10gb", 1, 9856, 16, 1, 1, 1, 0, 7, starts(1, 0, 1, 2, 3, 4, 5, 6)),
        profile(1, 14, "2g.20gb", 2, 20096, 32, 2, 2, 2, 0, 3, starts(2, 0, 2, 4)),
        profile(2, 9, "3g.40gb", 3, 40320, 60, 3, 3, 3, 0, 2, starts(4, 0, 4)),
        profile(3, 5, "4g.40gb", 4, 40320, 64, 4, 4, 4, 0, 1, starts(4, 0)),
        profile(4, 0, "7g.80gb", 7, 80768, 132, 8, 7, 7, 1, 1, starts(8, 0)),
        profile(7, 20, "1g.10gb+me", 1, 9856, 16, 1, 1, 1, 1, 1, starts(1, 0, 1, 2, 3, 4, 5, 6)),
        profile(9, 15, "1g.20gb", 1, 20096, 26, 1, 1, 1, 0, 4, starts(2, 0, 2, 4, 6)));
  }

  static Gpu a100(int minor, MigMode mode, List<MigDevice> migDevices) {
    return new Gpu(
        minor,
        minor,
        String.format("GPU-a100a100-0000-4000-8000-%012d", minor),
        "NVIDIA A100-SXM4-80GB",
        "Nvidia",
        "Ampere",
        "8.0",
        81920 * MIB,
        String.format("0000:%02x:00.0", 0x07 + minor),
        mode,
        a100Profiles(),
        migDevices);
  }

  static Gpu h100(int minor, MigMode mode) {
    return new Gpu(
        minor,
        minor,
        String.format("GPU-h100h100-0000-4000-8000-%012d", minor),
        "NVIDIA H100 80GB HBM3",
        "Nvidia",
        "Hopper",
        "9.0",
        81559 * MIB,
        String.format("0000:%02x:00.0", 0x18 + minor),
        mode,
        h100Profiles(),
        List.of());
  }

  static Gpu l4(int minor) {
    return new Gpu(
        minor,
        minor,
        "GPU-14141414-0000-4000-8000-000000000000",
        "NVIDIA L4",
        "Nvidia",
        "Ada Lovelace",
        "8.9",
        23034 * MIB,
        "0000:01:00.0",
        MigMode.NOT_CAPABLE,
        List.of(),
        List.of());
  }

  /** A 3g.40gb instance at placement 4 on the given A100. */
  static MigDevice threeG(int parentMinor) {
    return new MigDevice(
        "MIG-3g3g3g3g-0000-4000-8000-00000000000" + parentMinor,
        String.format("GPU-a100a100-0000-4000-8000-%012d", parentMinor),
        parentMinor,
        "3g.40gb",
        9,
        2,
        0,
        new MigPlacement(4, 4),
        40192 * MIB,
        new MigCounters(4, 42, 3, 2, 0, 0, 0));
  }

  static NodeInventory node(Gpu... gpus) {
    return new NodeInventory("550.54.15", "12.4", List.of(gpus), List.of());
  }

  static NodeInventory h100s(int count) {
    List<Gpu> gpus = new ArrayList<>();
    for (int minor = 0; minor < count; minor++) {
      // MIG on: the layout a dynamic-MIG plugin offers as placements.
      gpus.add(h100(minor, new MigMode(true, true, true)));
    }
    return new NodeInventory("550.54.15", "12.4", gpus, List.of());
  }
}
