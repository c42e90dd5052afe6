package dev.gpudra.plugin.node;

import dev.gpudra.nvml.NvmlDeviceDiscovery;
import dev.gpudra.nvml.NvmlLibraryLoader;
import dev.gpudra.nvml.NvmlSession;
import dev.gpudra.testkit.node.FakeNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A second NVML user of a fake node, next to its plugin: a JVM of its own on the node's mock NVML
 * library and MIG state, as an administrator's {@code nvidia-smi} would be. {@link #discover}
 * prints what {@code gpudra discover} prints (the inventory as JSON); {@link #createInstance} makes
 * a GPU instance with a compute instance filling it, like {@code nvidia-smi mig -cgi <profile> -C}.
 */
public final class AdminNvml {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private AdminNvml() {}

  /** The node's inventory as {@code gpudra discover} prints it. */
  public static JsonNode discover(FakeNode node) throws IOException, InterruptedException {
    return JSON.readTree(run(node, AdminNvml.class.getName(), "discover"));
  }

  /**
   * Creates a GPU instance of profile {@code profileId} at {@code start}/{@code size} on GPU {@code
   * gpu} and its full compute instance.
   *
   * @return the GPU instance's id
   * @throws IllegalStateException with NVML's error when creation fails
   */
  public static int createInstance(FakeNode node, int gpu, int profileId, int start, int size)
      throws IOException, InterruptedException {
    String out =
        run(
            node,
            AdminNvml.class.getName(),
            "create",
            Integer.toString(gpu),
            Integer.toString(profileId),
            Integer.toString(start),
            Integer.toString(size));
    return Integer.parseInt(out.strip());
  }

  /**
   * {@code discover}: prints the inventory as JSON; {@code create GPU PROFILE-ID START SIZE}:
   * creates the instances and prints the GPU instance id. The library is {@code
   * GPUDRA_NVML_LIBRARY}, the mock's settings come from the environment.
   */
  public static void main(String[] args) {
    NvmlLibraryLoader loader =
        new NvmlLibraryLoader(
            Path.of("/"), Optional.of(Path.of(System.getenv(NvmlLibraryLoader.LIBRARY_ENV))));
    if (args.length == 1 && args[0].equals("discover")) {
      try (NvmlSession session = NvmlSession.open(loader.load())) {
        System.out.println(JSON.writeValueAsString(NvmlDeviceDiscovery.discover(session)));
      }
      return;
    }
    if (args.length != 5 || !args[0].equals("create")) {
      System.err.println("usage: discover | create GPU PROFILE-ID START SIZE");
      System.exit(2);
    }
    int gpu = Integer.parseInt(args[1]);
    try (NvmlSession session = NvmlSession.open(loader.load())) {
      int gi =
          session.createGpuInstance(
              gpu,
              Integer.parseInt(args[2]),
              new dev.gpudra.core.device.MigPlacement(
                  Integer.parseInt(args[3]), Integer.parseInt(args[4])));
      session.createFullComputeInstance(gpu, gi);
      System.out.println(gi);
    }
  }

  private static String run(FakeNode node, String mainClass, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = node.env("unused");
    pb.environment().putAll(env);
    pb.redirectError(
        ProcessBuilder.Redirect.appendTo(node.root().resolve("admin-nvml.log").toFile()));
    Process process = pb.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(mainClass + " did not finish");
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException(
          mainClass
              + " "
              + String.join(" ", args)
              + " exited with "
              + process.exitValue()
              + "; see "
              + node.root().resolve("admin-nvml.log"));
    }
    return out;
  }
}
