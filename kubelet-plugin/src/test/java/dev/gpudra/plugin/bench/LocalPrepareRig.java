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
import dev.gpudra.plugin.state.CheckpointStore;
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
 * store, node state, CDI spec writer and planner on files in one directory), with the claims read
 * from memory instead of the API server: what remains is the plugin's own work and its disk writes.
 * The node has eight A100s, {@code gpu-0} to {@code gpu-7}, and no effects beyond specs.
 */
final class LocalPrepareRig {

  private final Map<String, ResourceClaim> claims = new ConcurrentHashMap<>();
  private final DraService dra;

  LocalPrepareRig(Path dir, String nodeName) {
    CdiSpecWriter writer = new CdiSpecWriter(dir.resolve("cdi"));
    CheckpointStore store = new CheckpointStore(dir.resolve("checkpoint"), Clock.systemUTC());
    Checkpoint empty = Checkpoint.empty("bench-boot");
    store.save(empty);
    NodeState state = new NodeState(store, empty);
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
                ClaimEffects.NONE,
                specs,
                writer,
                StepListener.NONE,
                PluginMetrics.NOOP),
            new ClaimUnpreparer(
                state, ClaimEffects.NONE, writer, StepListener.NONE, PluginMetrics.NOOP));
  }

  /** Makes {@code claim} readable by prepare. */
  void add(ResourceClaim claim) {
    claims.put(claim.getMetadata().getNamespace() + "/" + claim.getMetadata().getName(), claim);
  }

  DraService dra() {
    return dra;
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
