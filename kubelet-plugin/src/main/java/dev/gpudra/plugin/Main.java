package dev.gpudra.plugin;

import dev.gpudra.cdi.NodeDriverInfo;
import dev.gpudra.cdi.io.DriverRootDiscovery;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.nvml.NvmlDeviceDiscovery;
import dev.gpudra.nvml.NvmlLibraryLoader;
import dev.gpudra.nvml.NvmlSession;
import dev.gpudra.nvml.SysfsPciTopology;
import dev.gpudra.plugin.health.GpuHealthProbe;
import dev.gpudra.plugin.mig.MigControl;
import dev.gpudra.plugin.nvml.NvmlHealthProbe;
import dev.gpudra.plugin.nvml.NvmlMigControl;
import dev.gpudra.plugin.prepare.StepListener;
import dev.gpudra.plugin.server.ShutdownHook;
import dev.gpudra.runtime.ApiErrorCounter;
import dev.gpudra.runtime.KubernetesKinds;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the kubelet plugin daemon: configuration from the environment, hardware discovery
 * through NVML, sysfs (PCIe roots, NUMA nodes) and the driver root, then {@link PluginNode}. Prints
 * {@value #READY} on standard output once the sockets serve, for supervisors and tests.
 */
public final class Main {

  /** Line printed when the plugin serves. */
  public static final String READY = "GPUDRA-KUBELET-PLUGIN-READY";

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);
  private static final String NETTY_JFR_EVENTS = "io.netty.jfr.enabled";

  private Main() {}

  /**
   * Runs until SIGTERM.
   *
   * @param args ignored; configuration comes from the environment
   */
  public static void main(String[] args) throws Exception {
    run(System.getenv(), StepListener.NONE);
  }

  /**
   * Runs the plugin configured by {@code env} until SIGTERM, telling {@code steps} of every step of
   * prepare and unprepare. Production passes {@link StepListener#NONE}; a test entry point passes a
   * listener that crashes the process at a chosen step.
   */
  public static void run(Map<String, String> env, StepListener steps) throws Exception {
    // Netty (the gRPC servers) reports its buffer allocations as JFR events unless told not to;
    // that makes the JVM load and keep about 110 JFR classes whether or not anyone records. A
    // -Dio.netty.jfr.enabled=true on the command line still turns the events on.
    if (System.getProperty(NETTY_JFR_EVENTS) == null) {
      System.setProperty(NETTY_JFR_EVENTS, "false");
    }
    PluginConfig config;
    try {
      config = PluginConfig.fromEnv(env);
    } catch (IllegalArgumentException e) {
      LOG.error("invalid configuration: {}", e.getMessage());
      System.exit(2);
      return;
    }
    LOG.info("gpudra kubelet plugin configuration: {}", config.effective());

    // With dynamic MIG the session stays open: prepare and unprepare create and destroy instances;
    // with health monitoring it stays open for the event set and the probes.
    NvmlSession session =
        NvmlSession.open(new NvmlLibraryLoader(config.driverRoot(), config.nvmlLibrary()).load());
    NodeInventory inventory;
    try {
      inventory =
          NvmlDeviceDiscovery.discover(
              session,
              new SysfsPciTopology(config.sysfsRoot(), warning -> LOG.warn("{}", warning)));
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
    Optional<MigControl> mig = Optional.empty();
    if (config.dynamicMig()) {
      mig = Optional.of(new NvmlMigControl(session, inventory));
    }
    Optional<GpuHealthProbe> health = Optional.empty();
    if (config.health().enabled()) {
      health = Optional.of(new NvmlHealthProbe(session));
    }
    if (mig.isEmpty() && health.isEmpty()) {
      session.close();
    }
    LOG.info(
        "discovered {} GPUs ({} with a known PCIe root), driver {}",
        inventory.gpus().size(),
        inventory.gpus().stream().filter(g -> g.pciTopology().pcieRoot().isPresent()).count(),
        inventory.driverVersion());
    NodeDriverInfo driver =
        new DriverRootDiscovery(
                new DriverRootDiscovery.Config(
                    config.driverRoot(),
                    config.hostDriverRoot(),
                    config.devRoot(),
                    config.procRoot(),
                    DriverRootDiscovery.DEFAULT_LIBRARY_DIRS))
            .discover(inventory.driverVersion());

    ApiErrorCounter apiErrors = new ApiErrorCounter();
    KubernetesClient client =
        apiErrors
            .installOn(
                // The plugin watches only its ResourceSlices (SlicePublishLoop).
                KubernetesKinds.mapOnly(
                    new KubernetesClientBuilder(), List.of(ResourceSlice.class)))
            .build();
    PluginNode node;
    try {
      node = PluginNode.start(config, inventory, driver, client, mig, steps, health, apiErrors);
    } catch (Exception e) {
      client.close();
      session.close();
      throw e;
    }
    ShutdownHook.install(
        "gpudra kubelet plugin",
        () -> {
          node.close();
          client.close();
          session.close();
        });
    System.out.write((READY + "\n").getBytes(StandardCharsets.UTF_8));
    System.out.flush();
    Thread.currentThread().join();
  }
}
