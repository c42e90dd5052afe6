package dev.gpudra.core.explain;

import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.allocator.AllocationOutcome;
import dev.gpudra.core.allocator.Allocator;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClassBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;

/**
 * A cluster for explain tests built from the test inventories (the mock NVML profiles' GPUs), with
 * the chart's DeviceClasses and a way to let claims take devices the way the scheduler would.
 */
final class ExplainCluster {
  static final String DRIVER = "gpu.gpudra.dev";
  static final SelectorCache CACHE = new SelectorCache(SelectorEnvironment.create(), 512);
  static final List<DeviceClass> CLASSES =
      List.of(deviceClass("gpu.gpudra.dev", "gpu"), deviceClass("mig.gpudra.dev", "mig"));

  // Tests run in the module directory, the benchmark (exec:java) in the reactor's.
  private static final Path INVENTORIES =
      Files.isDirectory(Path.of("src", "test", "resources", "inventories"))
          ? Path.of("src", "test", "resources", "inventories")
          : Path.of("core", "src", "test", "resources", "inventories");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  final List<Node> nodes = new ArrayList<>();
  final List<ResourceSlice> slices = new ArrayList<>();
  final List<ResourceClaim> claims = new ArrayList<>();

  /** Adds a node publishing the GPUs of inventory {@code profile} (e.g. {@code h100-8x}). */
  ExplainCluster node(String name, String profile, boolean dynamicMig) {
    NodeInventory inventory;
    try {
      inventory =
          JSON.readValue(
              Files.readString(INVENTORIES.resolve(profile + ".json")), NodeInventory.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    nodes.add(new NodeBuilder().withNewMetadata().withName(name).endMetadata().build());
    for (ResourceSliceSpec spec :
        ResourceSliceMapper.map(inventory, new SliceMappingOptions(DRIVER, name, dynamicMig))) {
      spec.getPool().setGeneration(1L);
      slices.add(
          new ResourceSliceBuilder()
              .withNewMetadata()
              .withName(name + "-" + slices.size())
              .endMetadata()
              .withSpec(spec)
              .build());
    }
    return this;
  }

  /** Allocates {@code claim} on {@code node} with the allocator and keeps it as holding devices. */
  ExplainCluster holding(ResourceClaim claim, String node) {
    Node target =
        nodes.stream()
            .filter(n -> n.getMetadata().getName().equals(node))
            .findFirst()
            .orElseThrow();
    AllocationOutcome outcome =
        new Allocator(slices, CLASSES, allocated(), CACHE)
            .allocate(target, List.of(claim), AllocationBudget.DEFAULT);
    if (!(outcome instanceof AllocationOutcome.Allocated allocated)) {
      throw new IllegalStateException("fixture claim does not fit: " + outcome);
    }
    claims.add(
        new ResourceClaimBuilder(claim)
            .withNewStatus()
            .withAllocation(allocated.results().get(0))
            .endStatus()
            .build());
    return this;
  }

  List<ResourceClaim> allocated() {
    return List.copyOf(claims);
  }

  Explanation explain(ResourceClaim claim) {
    return new PendingClaimExplainer(CACHE, AllocationBudget.DEFAULT)
        .explain(claim, nodes, slices, CLASSES, claims);
  }

  static ResourceClaim claim(String name, DeviceRequest... requests) {
    return new ResourceClaimBuilder()
        .withNewMetadata()
        .withNamespace("ml")
        .withName(name)
        .withUid(name + "-uid")
        .endMetadata()
        .withNewSpec()
        .withNewDevices()
        .withRequests(requests)
        .endDevices()
        .endSpec()
        .build();
  }

  static DeviceRequest request(String name, String deviceClass, long count, String... selectors) {
    var exactly =
        new DeviceRequestBuilder()
            .withName(name)
            .withNewExactly()
            .withDeviceClassName(deviceClass)
            .withAllocationMode("ExactCount")
            .withCount(count);
    for (String s : selectors) {
      exactly = exactly.addNewSelector().withNewCel().withExpression(s).endCel().endSelector();
    }
    return exactly.endExactly().build();
  }

  private static DeviceClass deviceClass(String name, String type) {
    return new DeviceClassBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .addNewSelector()
        .withNewCel()
        .withExpression(
            "device.driver == \""
                + DRIVER
                + "\" && device.attributes[\""
                + DRIVER
                + "\"].type == \""
                + type
                + "\"")
        .endCel()
        .endSelector()
        .endSpec()
        .build();
  }
}
