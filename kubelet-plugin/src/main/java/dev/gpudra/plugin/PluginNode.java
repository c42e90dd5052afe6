package dev.gpudra.plugin;

import dev.gpudra.cdi.ClaimSpecBuilder;
import dev.gpudra.cdi.CommonEditsBuilder;
import dev.gpudra.cdi.NodeDriverInfo;
import dev.gpudra.cdi.io.CdiSpecWriter;
import dev.gpudra.cdi.io.DriverRootDiscovery;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.names.DriverNames;
import dev.gpudra.core.slice.DeviceNames;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import dev.gpudra.plugin.dra.DraService;
import dev.gpudra.plugin.dra.DraV1Service;
import dev.gpudra.plugin.dra.DraV1beta1Service;
import dev.gpudra.plugin.health.DeviceHealthService;
import dev.gpudra.plugin.health.GpuHealthProbe;
import dev.gpudra.plugin.health.HealthMonitor;
import dev.gpudra.plugin.health.NodeHealth;
import dev.gpudra.plugin.metrics.MetricsServer;
import dev.gpudra.plugin.metrics.MicrometerHealthMetrics;
import dev.gpudra.plugin.metrics.MicrometerPluginMetrics;
import dev.gpudra.plugin.metrics.MicrometerSharingMetrics;
import dev.gpudra.plugin.metrics.MpsDaemonMetrics;
import dev.gpudra.plugin.metrics.PluginMetrics;
import dev.gpudra.plugin.metrics.SharingMetricsLoop;
import dev.gpudra.plugin.mig.DynamicMigEffects;
import dev.gpudra.plugin.mig.MigControl;
import dev.gpudra.plugin.prepare.ApiServerClaimRebuilder;
import dev.gpudra.plugin.prepare.ApiServerClaimSpecSource;
import dev.gpudra.plugin.prepare.ClaimEffects;
import dev.gpudra.plugin.prepare.ClaimFetcher;
import dev.gpudra.plugin.prepare.ClaimPreparer;
import dev.gpudra.plugin.prepare.ClaimUnpreparer;
import dev.gpudra.plugin.prepare.CompositeEffects;
import dev.gpudra.plugin.prepare.PreparePlanner;
import dev.gpudra.plugin.prepare.StepListener;
import dev.gpudra.plugin.recovery.StartupRecovery;
import dev.gpudra.plugin.server.KubeletPluginServers;
import dev.gpudra.plugin.server.RegistrationReadinessCheck;
import dev.gpudra.plugin.server.SocketLivenessCheck;
import dev.gpudra.plugin.server.UnixSocketServerFactory;
import dev.gpudra.plugin.sharing.DriverTools;
import dev.gpudra.plugin.sharing.MpsControl;
import dev.gpudra.plugin.sharing.MpsDaemonConfig;
import dev.gpudra.plugin.sharing.MpsDaemonPods;
import dev.gpudra.plugin.sharing.MpsDirectories;
import dev.gpudra.plugin.sharing.MpsEffects;
import dev.gpudra.plugin.sharing.MpsGpuSetup;
import dev.gpudra.plugin.sharing.NvidiaSmiTimeSlices;
import dev.gpudra.plugin.sharing.PodMpsControl;
import dev.gpudra.plugin.sharing.ProcessMpsControl;
import dev.gpudra.plugin.sharing.TimeSliceEffects;
import dev.gpudra.plugin.slices.Backoff;
import dev.gpudra.plugin.slices.ResourceSlicePublisher;
import dev.gpudra.plugin.slices.SlicePublishLoop;
import dev.gpudra.plugin.state.BootId;
import dev.gpudra.plugin.state.CheckpointStore;
import dev.gpudra.plugin.state.ClaimSpecSource;
import dev.gpudra.plugin.state.NodeState;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running node daemon, assembled from its configuration, the discovered hardware and an API
 * server client. Start order: recover ({@link StartupRecovery}: the checkpoint and, with dynamic
 * MIG, the MIG instances, before any socket serves; then the MPS daemons, {@code
 * sharing.MpsRecovery}), publish slices, serve the sockets, then metrics. {@link #close()} stops in
 * reverse order and is idempotent.
 */
public final class PluginNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PluginNode.class);

  /** How often the sharing metrics are recomputed: Prometheus scrapes every 15 to 60 s. */
  private static final Duration SHARING_METRICS_INTERVAL = Duration.ofSeconds(10);

  private final List<AutoCloseable> resources;
  private final KubeletPluginServers servers;
  private final Optional<MetricsServer> metricsServer;
  private boolean closed;

  private PluginNode(
      List<AutoCloseable> resources,
      KubeletPluginServers servers,
      Optional<MetricsServer> metricsServer) {
    this.resources = resources;
    this.servers = servers;
    this.metricsServer = metricsServer;
  }

  /**
   * Starts the daemon.
   *
   * @param mig the node's MIG instances; required with dynamic MIG, unused otherwise
   * @param steps told of every step of prepare and unprepare ({@link StepListener#NONE} in
   *     production; crash tests pass one that kills the process at a chosen step)
   * @param healthProbe the GPUs' events and probes; without one (or with monitoring off) every
   *     device is reported with health unknown
   * @throws IOException when a socket or the metrics port cannot be served
   */
  public static PluginNode start(
      PluginConfig config,
      NodeInventory inventory,
      NodeDriverInfo driver,
      KubernetesClient client,
      Optional<MigControl> mig,
      StepListener steps,
      Optional<GpuHealthProbe> healthProbe)
      throws IOException {
    return start(config, inventory, driver, client, mig, steps, healthProbe, registry -> {});
  }

  /**
   * As {@link #start(PluginConfig, NodeInventory, NodeDriverInfo, KubernetesClient, Optional,
   * StepListener, Optional)}, with {@code clientMeters} bound to the plugin's meter registry: the
   * meters of {@code client} itself, such as its failed calls ({@code
   * dev.gpudra.runtime.ApiErrorCounter}), made before the registry exists.
   */
  public static PluginNode start(
      PluginConfig config,
      NodeInventory inventory,
      NodeDriverInfo driver,
      KubernetesClient client,
      Optional<MigControl> mig,
      StepListener steps,
      Optional<GpuHealthProbe> healthProbe,
      MeterBinder clientMeters)
      throws IOException {
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      String driverName = DriverNames.DRIVER;
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      clientMeters.bindTo(registry);
      PluginMetrics metrics = new MicrometerPluginMetrics(registry);

      DriverTools tools =
          new DriverTools(
              config.driverRoot(),
              DriverRootDiscovery.DEFAULT_LIBRARY_DIRS,
              Duration.ofSeconds(30));
      // MPS daemons serve claims asking for MPS and fractional shares (whose limits MPS enforces).
      boolean mps = config.sharingStrategies().contains("MPS") || config.fractionalGpus();
      MpsDirectories mpsDirs = new MpsDirectories(config.sockets().pluginDir().resolve("mps"));
      MpsControl mpsControl = mpsControl(config, client, tools, mpsDirs);
      MpsDaemonMetrics.register(
          registry,
          inventory.gpus().stream()
              .collect(
                  Collectors.toMap(
                      g -> DeviceNames.gpu(g.minor()),
                      g -> g.uuid(),
                      (a, b) -> a,
                      java.util.TreeMap::new)),
          mpsControl);
      PreparePlanner planner =
          new PreparePlanner(
              driverName,
              config.nodeName(),
              inventory,
              driver.migMinors(),
              config.sharingPolicy(),
              config.dynamicMig(),
              mps ? mpsDirs::sharing : null);
      ClaimFetcher fetcher = ClaimFetcher.of(client);
      CdiSpecWriter writer = new CdiSpecWriter(config.cdiDir());
      CheckpointStore store = new CheckpointStore(config.checkpointDir(), Clock.systemUTC());
      Optional<MigControl> control = Optional.empty();
      if (config.dynamicMig()) {
        control =
            Optional.of(
                mig.orElseThrow(
                    () ->
                        new IllegalArgumentException("dynamic MIG needs the node's NVML session")));
      }
      ClaimSpecBuilder specs =
          new ClaimSpecBuilder(
              driver.majors(),
              CommonEditsBuilder.forHookPath(config.cdiHookPath())
                  .build(driver.files(), driver.majors()));
      ClaimSpecSource restoredSpecs = new ApiServerClaimSpecSource(fetcher, planner, specs);
      Checkpoint recovered =
          new StartupRecovery(
                  store,
                  writer,
                  BootId.read(config.bootIdPath()),
                  new ApiServerClaimRebuilder(fetcher, planner),
                  claim -> {
                    var spec = restoredSpecs.specOf(claim);
                    spec.ifPresent(written -> metrics.cdiSpecRestored());
                    return spec;
                  },
                  control,
                  Optional.of(mpsControl),
                  steps::reached)
              .recover(inventory);
      NodeState state = new NodeState(store, recovered, steps::reached);
      store
          .movedAside()
          .ifPresent(
              aside ->
                  metrics.checkpointMovedAside(
                      aside.problem().name().toLowerCase(java.util.Locale.ROOT)));
      List<ClaimEffects> effectParts = new ArrayList<>();
      control.ifPresent(c -> effectParts.add(new DynamicMigEffects(c, driver.migMinors(), steps)));
      effectParts.add(new TimeSliceEffects(new NvidiaSmiTimeSlices(tools), state::snapshot, steps));
      effectParts.add(new MpsEffects(mpsControl, state::snapshot, steps));
      ClaimEffects effects = new CompositeEffects(effectParts);
      metrics.preparedNow(
          recovered.claims().size(),
          recovered.entries().stream().mapToInt(c -> c.devices().size()).sum());
      DraService dra =
          new DraService(
              new ClaimPreparer(fetcher, planner, state, effects, specs, writer, steps, metrics),
              new ClaimUnpreparer(state, effects, writer, steps, metrics));

      SliceMappingOptions mapping =
          new SliceMappingOptions(
              driverName, config.nodeName(), config.dynamicMig(), config.fractionalGpus());
      SlicePublishLoop publishLoop =
          new SlicePublishLoop(
              new ResourceSlicePublisher(client, driverName, config.nodeName()),
              client,
              config.nodeName(),
              Duration.ofMinutes(10),
              new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(1)));
      resources.add(publishLoop);
      publishLoop.start();

      Map<String, Long> gpuMemory =
          inventory.gpus().stream()
              .collect(
                  Collectors.toMap(
                      g -> DeviceNames.gpu(g.minor()), g -> g.memoryBytes(), (a, b) -> a));
      SharingMetricsLoop sharingMetrics =
          new SharingMetricsLoop(
              state::snapshot,
              fetcher,
              client,
              driverName,
              gpuMemory,
              new MicrometerSharingMetrics(registry, List.copyOf(gpuMemory.keySet())));
      resources.add(sharingMetrics);
      sharingMetrics.start(SHARING_METRICS_INTERVAL);

      boolean monitored = config.health().enabled() && healthProbe.isPresent();
      MicrometerHealthMetrics healthMetrics =
          new MicrometerHealthMetrics(registry, Clock.systemUTC());
      NodeHealth nodeHealth =
          new NodeHealth(
              config.nodeName(),
              conditions -> ResourceSliceMapper.map(inventory, mapping, conditions),
              publishLoop::publish,
              healthMetrics,
              monitored);
      UnixSocketServerFactory factory = new UnixSocketServerFactory(Duration.ofSeconds(5));
      resources.add(factory);
      DeviceHealthService health = DeviceHealthService.reporting(nodeHealth::reports);
      KubeletPluginServers servers;
      try {
        if (monitored) {
          HealthMonitor monitor =
              new HealthMonitor(
                  config.health(),
                  healthProbe.get(),
                  inventory.gpus().stream()
                      .map(g -> new GpuHealthProbe.MonitoredGpu(g.index(), g.minor()))
                      .toList(),
                  healthMetrics,
                  Clock.systemUTC(),
                  () -> {
                    nodeHealth.republish();
                    health.devicesChanged();
                  });
          resources.add(monitor);
          nodeHealth.conditionsFrom(monitor::conditions);
          monitor.start();
        }
        nodeHealth.republish();
        servers =
            KubeletPluginServers.start(
                config.sockets(),
                factory,
                health,
                List.of(new DraV1Service(dra), new DraV1beta1Service(dra)));
      } catch (IOException | RuntimeException e) {
        health.close();
        throw e;
      }
      resources.add(servers);

      Optional<MetricsServer> metricsServer = Optional.empty();
      if (config.metricsPort() >= 0) {
        MetricsServer server =
            MetricsServer.start(
                config.metricsPort(),
                registry,
                new SocketLivenessCheck(factory, servers.registrationSocket(), servers.draSocket()),
                new RegistrationReadinessCheck(
                    servers::registrationState, publishLoop::hasPublished));
        resources.add(server);
        metricsServer = Optional.of(server);
        LOG.info("metrics and /healthz on port {}", server.port());
      }
      return new PluginNode(resources, servers, metricsServer);
    } catch (IOException | RuntimeException e) {
      closeAll(resources);
      throw e;
    }
  }

  /** The serving sockets. */
  public KubeletPluginServers servers() {
    return servers;
  }

  /** The metrics port, when serving. */
  public Optional<Integer> metricsPort() {
    return metricsServer.map(MetricsServer::port);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeAll(resources);
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", resources.get(i).getClass().getSimpleName(), e);
      }
    }
  }

  /**
   * The node's MPS daemons in the configured form: pods that outlive the plugin, or the plugin's
   * own child processes.
   */
  private static MpsControl mpsControl(
      PluginConfig config, KubernetesClient client, DriverTools tools, MpsDirectories dirs) {
    MpsDaemonConfig daemons = config.mpsDaemons();
    if (!daemons.pods()) {
      return new ProcessMpsControl(tools, dirs, Duration.ofSeconds(30));
    }
    MpsDaemonPods pods =
        new MpsDaemonPods(
            daemons.namespace().orElseThrow(),
            config.nodeName(),
            daemons.image().orElseThrow(),
            config.driverRoot(),
            config.hostDriverRoot(),
            daemons.passedEnv(),
            daemons.hostPaths(),
            daemons.priorityClass());
    return new PodMpsControl(
        client, pods, new MpsGpuSetup(tools, dirs), Duration.ofMinutes(2), Duration.ofMinutes(1));
  }
}
