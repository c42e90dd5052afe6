package dev.gpudra.plugin.server;

import dev.gpudra.plugin.health.DeviceHealthService;
import dev.gpudra.plugin.health.DeviceIdentity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A plugin process reduced to its sockets, wired as Main wires them: servers up, a shutdown hook
 * around them, then wait for a signal. Started as a separate JVM by {@link ShutdownOnSigtermIT}.
 *
 * <p>Arguments: plugin directory, registry directory, pod UID. Prints {@value #READY} once both
 * sockets serve.
 */
public final class ServingProcess {

  static final String READY = "SERVING";

  private ServingProcess() {}

  public static void main(String[] args) throws Exception {
    PluginSockets sockets =
        PluginSockets.fromEnv(
            Map.of(
                PluginSockets.PLUGIN_DIR_KEY, args[0],
                PluginSockets.REGISTRY_DIR_KEY, args[1],
                PluginSockets.POD_UID_KEY, args[2]));
    UnixSocketServerFactory factory = new UnixSocketServerFactory(Duration.ofSeconds(2));
    DeviceHealthService health =
        new DeviceHealthService(() -> List.of(new DeviceIdentity("node-a", "gpu-0")));
    KubeletPluginServers servers = KubeletPluginServers.start(sockets, factory, health, List.of());
    ShutdownHook.install(
        "plugin sockets",
        () -> {
          servers.close();
          factory.close();
        });
    System.out.write((READY + "\n").getBytes(StandardCharsets.UTF_8));
    System.out.flush();
    Thread.currentThread().join();
  }

  static List<String> command(Path pluginDir, Path registryDir, String podUid) {
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED",
        "-cp",
        System.getProperty("java.class.path"),
        ServingProcess.class.getName(),
        pluginDir.toString(),
        registryDir.toString(),
        podUid);
  }
}
