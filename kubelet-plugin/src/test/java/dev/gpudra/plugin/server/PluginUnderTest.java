package dev.gpudra.plugin.server;

import dev.gpudra.core.names.DriverNames;
import dev.gpudra.plugin.health.DeviceHealthService;
import dev.gpudra.plugin.health.DeviceIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The plugin's socket side as Main wires it, rooted in a test directory: {@code
 * <root>/plugins/gpu.gpudra.dev} and {@code <root>/registry}.
 */
final class PluginUnderTest implements AutoCloseable {

  static final Duration POLL = Duration.ofMillis(50);

  final PluginSockets sockets;
  final UnixSocketServerFactory factory;
  final DeviceHealthService health;
  final KubeletPluginServers servers;

  private PluginUnderTest(
      PluginSockets sockets,
      UnixSocketServerFactory factory,
      DeviceHealthService health,
      KubeletPluginServers servers) {
    this.sockets = sockets;
    this.factory = factory;
    this.health = health;
    this.servers = servers;
  }

  // Short names: temporary directories are deep, and a socket path holds 107 bytes.
  static PluginSockets sockets(Path root, String podUid) {
    return new PluginSockets(
        DriverNames.DRIVER,
        root.resolve("plugins").resolve(DriverNames.DRIVER),
        registryDir(root),
        Optional.of(podUid));
  }

  static Path registryDir(Path root) {
    return root.resolve("registry");
  }

  static PluginUnderTest start(Path root, String podUid) throws IOException {
    return start(root, podUid, () -> List.of(new DeviceIdentity("node-a", "gpu-0")));
  }

  static PluginUnderTest start(
      Path root, String podUid, Supplier<? extends Collection<DeviceIdentity>> devices)
      throws IOException {
    PluginSockets sockets = sockets(root, podUid);
    UnixSocketServerFactory factory = new UnixSocketServerFactory(Duration.ofSeconds(2));
    DeviceHealthService health =
        new DeviceHealthService(devices, POLL, Duration.ofSeconds(30), Clock.systemUTC());
    try {
      KubeletPluginServers servers =
          KubeletPluginServers.start(sockets, factory, health, List.of());
      return new PluginUnderTest(sockets, factory, health, servers);
    } catch (IOException | RuntimeException e) {
      health.close();
      factory.close();
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      servers.close();
    } finally {
      factory.close();
    }
  }
}
