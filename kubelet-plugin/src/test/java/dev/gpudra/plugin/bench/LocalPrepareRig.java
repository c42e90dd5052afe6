package dev.gpudra.plugin.bench;

import dev.gpudra.cdi.ClaimSpecBuilder;
import dev.gpudra.cdi.DeviceMajors;
import dev.gpudra.cdi.MigMinors;
import dev.gpudra.cdi.io.CdiSpecWriter;
import dev.gpudra.cdi.spec.ContainerEdits;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.config.NodeSharingPolicy;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.device.PciTopology;
import dev.gpudra.core.names.DriverNames;
import dev.gpudra.plugin.dra.DraService;
import dev.gpudra.plugin.metrics.PluginMetrics;
import dev.gpudra.plugin.prepare.ClaimEffects;
import dev.gpudra.plugin.prepare.ClaimFetcher;
import dev.gpudra.plugin.prepare.ClaimPreparer;
import dev.gpudra.plugin.prepare.ClaimUnpreparer;
import dev.gpudra.plugin.prepare.PreparePlanner;
import dev.gpudra.plugin.prepare.StepListener;
import dev.gpudra.plugin.state.CheckpointRecovery;
import dev.gpudra.plugin.state.CheckpointStore;
import dev.gpudra.plugin.state.ClaimRebuilder;
import dev.gpudra.plugin.state.NodeState;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * The plugin's prepare path in this JVM, as {@code PluginNode} assembles it (the real checkpoint
 * store, node state, CDI spec writer and planner on real files), with the claims read from memory
 * instead of the API server: what remains is the plugin's own work and its disk writes. The node
 * has eight A100s, {@code gpu-0} to {@code gpu-7}; the benchmark's rig has no effects beyond specs.
 */
public final class LocalPrepareRig {

  private static final String BOOT_ID = "bench-boot";

  private final Map<String, ResourceClaim> claims;
  private final NodeState state;
  private final DraService dra;

  /**
   * A plugin instance with its checkpoint under {@code dir} and its CDI specs in {@code cdiDir}.
   */
  LocalPrepareRig(Path dir, Path cdiDir, String nodeName) {
    this(dir, cdiDir, nodeName, new ConcurrentHashMap<>(), ClaimEffects.NONE, false);
  }

  /**
   * A plugin instance starting on {@code dir}'s checkpoint and CDI directories as the plugin does,
   * with start-up recovery first: another instance may be serving on the same directories (a
   * rolling update's overlap).
   *
   * @param claims the claims prepare reads, by {@code namespace/name}; shared by instances
   * @param effects the node changes of a prepared claim; shared by instances, like the node
   */
  public static LocalPrepareRig recovering(
      Path dir, String nodeName, Map<String, ResourceClaim> claims, ClaimEffects effects) {
    return new LocalPrepareRig(dir, dir.resolve("cdi"), nodeName, claims, effects, true);
  }

  private LocalPrepareRig(
      Path dir,
      Path cdiDir,
      String nodeName,
      Map<String, ResourceClaim> claims,
      ClaimEffects effects,
      boolean recover) {
    this.claims = claims;
    CdiSpecWriter writer = new CdiSpecWriter(cdiDir);
    CheckpointStore store = new CheckpointStore(dir.resolve("checkpoint"), Clock.systemUTC());
    Checkpoint initial;
    if (recover) {
      initial = CheckpointRecovery.recover(store, writer, BOOT_ID, ClaimRebuilder.NONE);
    } else {
      initial = Checkpoint.empty(BOOT_ID);
      store.save(initial);
    }
    state = new NodeState(store, initial);
    PreparePlanner planner =
        new PreparePlanner(
            DriverNames.DRIVER,
            nodeName,
            inventory(),
            MigMinors.NONE,
            NodeSharingPolicy.exclusiveOnly("GPUDRA_SHARING_STRATEGIES"),
            false);
    ClaimFetcher memory =
        new ClaimFetcher() {
          @Override
          public Optional<ResourceClaim> fetch(String namespace, String name) {
            return Optional.ofNullable(claims.get(namespace + "/" + name));
          }

          @Override
          public List<ResourceClaim> listAll() {
            return List.copyOf(claims.values());
          }
        };
    ClaimSpecBuilder specs =
        new ClaimSpecBuilder(new DeviceMajors(195, 510, 0), ContainerEdits.NONE);
    dra =
        new DraService(
            new ClaimPreparer(
                memory,
                planner,
                state,
                effects,
                specs,
                writer,
                StepListener.NONE,
                PluginMetrics.NOOP),
            new ClaimUnpreparer(state, effects, writer, StepListener.NONE, PluginMetrics.NOOP));
  }

  /** Makes {@code claim} readable by prepare. */
  public void add(ResourceClaim claim) {
    claims.put(key(claim), claim);
  }

  /** The key of {@code claim} in the claims prepare reads. */
  public static String key(ResourceClaim claim) {
    return claim.getMetadata().getNamespace() + "/" + claim.getMetadata().getName();
  }

  /** The instance's DRA service: prepare and unprepare as the kubelet calls them. */
  public DraService dra() {
    return dra;
  }

  /** The instance's prepared claims, as its effects read them. */
  public NodeState state() {
    return state;
  }

  private static NodeInventory inventory() {
    List<Gpu> gpus =
        IntStream.range(0, 8)
            .mapToObj(
                minor ->
                    new Gpu(
                        minor,
                        minor,
                        String.format("GPU-00000000-0000-4000-8000-%012d", minor),
                        "NVIDIA A100-SXM4-80GB",
                        "Nvidia",
                        "Ampere",
                        "8.0",
                        80L << 30,
                        "0000:0" + minor + ":00.0",
                        PciTopology.UNKNOWN,
                        MigMode.NOT_CAPABLE,
                        List.of(),
                        List.of()))
            .toList();
    return new NodeInventory("550.54.15", "12.4", gpus, List.of());
  }
}
