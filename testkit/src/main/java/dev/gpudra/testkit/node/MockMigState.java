package dev.gpudra.testkit.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The GPU and compute instances of a fake node, read from the mock NVML library's state file (its
 * documented text format: {@code gi GPU ID PROFILE-ENUM START SIZE SERIAL} and {@code ci GPU GI-ID
 * ID CI-PROFILE-ENUM START SIZE SERIAL}). Reading the file takes no NVML session, so a test can
 * look as often as it likes; the library replaces the file atomically, so a read never sees half of
 * it. The file exists once anything has created or destroyed an instance; before that the node has
 * its profile's initial instances.
 */
public final class MockMigState {

  /**
   * One GPU instance.
   *
   * @param gpu NVML index of its GPU (the minor number on the mock's profiles)
   * @param id GPU instance id
   * @param start first memory slice
   * @param size memory slices
   * @param computeInstances ids of its compute instances, ascending
   */
  public record GpuInstance(int gpu, int id, int start, int size, List<Integer> computeInstances) {
    /** Copies the list. */
    public GpuInstance {
      computeInstances = List.copyOf(computeInstances);
    }
  }

  private MockMigState() {}

  /** Whether anything changed the node's MIG instances since its state began. */
  public static boolean changed(FakeNode node) {
    return Files.exists(node.nvmlStateFile());
  }

  /**
   * Every GPU instance of the node, sorted by GPU and id.
   *
   * @throws IllegalStateException when nothing has changed the instances yet
   */
  public static List<GpuInstance> read(FakeNode node) throws IOException {
    Path file = node.nvmlStateFile();
    if (!Files.exists(file)) {
      throw new IllegalStateException("no MIG change on " + node.nodeName() + " yet: " + file);
    }
    Map<String, int[]> gis = new TreeMap<>();
    Map<String, List<Integer>> cis = new TreeMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String[] f = line.strip().split("\\s+");
      if (f[0].equals("gi")) {
        String key = f[1] + "/" + f[2];
        gis.put(
            key,
            new int[] {
              Integer.parseInt(f[1]),
              Integer.parseInt(f[2]),
              Integer.parseInt(f[4]),
              Integer.parseInt(f[5])
            });
        cis.putIfAbsent(key, new ArrayList<>());
      } else if (f[0].equals("ci")) {
        cis.computeIfAbsent(f[1] + "/" + f[2], k -> new ArrayList<>()).add(Integer.parseInt(f[3]));
      }
    }
    List<GpuInstance> out = new ArrayList<>();
    gis.forEach(
        (key, g) ->
            out.add(
                new GpuInstance(g[0], g[1], g[2], g[3], cis.get(key).stream().sorted().toList())));
    out.sort(Comparator.comparingInt(GpuInstance::gpu).thenComparingInt(GpuInstance::id));
    return out;
  }

  /** The GPU instances of GPU {@code gpu}. */
  public static List<GpuInstance> onGpu(FakeNode node, int gpu) throws IOException {
    return read(node).stream().filter(gi -> gi.gpu() == gpu).toList();
  }
}
