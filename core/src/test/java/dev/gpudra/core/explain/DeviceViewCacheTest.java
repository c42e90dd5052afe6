package dev.gpudra.core.explain;

import static dev.gpudra.core.explain.ExplainCluster.claim;
import static dev.gpudra.core.explain.ExplainCluster.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.allocator.AllocationBudget;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacityBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An explainer that lives across cluster states (as the controller's does) reuses each slice's
 * devices while the slice is unchanged, and sees a slice that changed or went away.
 */
class DeviceViewCacheTest {

  private static final ResourceClaim H100_80GI =
      claim(
          "h100-80gi",
          request(
              "gpu",
              "gpu.gpudra.dev",
              1,
              "device.capacity[\"gpu.gpudra.dev\"].memory.compareTo(quantity(\"80Gi\")) >= 0"));

  private final DeviceViewCache views = new DeviceViewCache(DeviceViewCache.DEFAULT_MAX_SLICES);
  private final PendingClaimExplainer explainer =
      new PendingClaimExplainer(ExplainCluster.CACHE, AllocationBudget.DEFAULT, views);
  private ExplainCluster cluster;

  @BeforeEach
  void cluster() {
    cluster =
        new ExplainCluster()
            .node("gpu-h100-a", "h100-8x", false)
            .node("gpu-h100-b", "h100-8x", false);
    for (int i = 0; i < cluster.slices.size(); i++) {
      cluster.slices.set(i, version(cluster.slices.get(i), "uid-" + i, "1"));
    }
  }

  @Test
  void aSliceWithTheSameUidAndResourceVersionIsNotBuiltAgain() {
    ResourceSlice slice = cluster.slices.get(0);
    DeviceViewCache.SliceView first = views.of(slice);

    // An informer relist hands out new objects for unchanged slices.
    DeviceViewCache.SliceView again = views.of(new ResourceSliceBuilder(slice).build());

    assertThat(again).isSameAs(first);
    assertThat(again.devices()).isNotEmpty();
  }

  @Test
  void aChangedSliceIsSeen() {
    assertThat(explain().headline()).contains("fits on none of 2 nodes");
    assertThat(views.size()).isEqualTo(cluster.slices.size());

    // The driver republishes gpu-h100-b with more memory per GPU: a new resourceVersion.
    for (int i = 0; i < cluster.slices.size(); i++) {
      ResourceSlice s = cluster.slices.get(i);
      if (s.getSpec().getNodeName().equals("gpu-h100-b")) {
        cluster.slices.set(i, version(withMemory(s, "80Gi"), s.getMetadata().getUid(), "2"));
      }
    }

    Explanation after = explain();
    assertThat(after.headline()).contains("fits now on gpu-h100-b");
    assertThat(after.fitNodes()).containsExactly("gpu-h100-b");
  }

  @Test
  void aDeletedSliceIsGone() {
    int all = cluster.slices.size();
    explain();
    assertThat(views.size()).isEqualTo(all);

    cluster.slices.removeIf(s -> s.getSpec().getNodeName().equals("gpu-h100-b"));
    Explanation after = explain();

    assertThat(views.size()).isEqualTo(cluster.slices.size()).isLessThan(all);
    assertThat(after.details())
        .noneMatch(line -> line.contains("gpu-h100-b") && line.contains("81559Mi"));
    assertThat(after.details()).anyMatch(line -> line.contains("gpu-h100-a"));
  }

  @Test
  void aCacheOfNoSlicesBuildsEveryTime() {
    DeviceViewCache none = new DeviceViewCache(0);
    ResourceSlice slice = cluster.slices.get(0);

    assertThat(none.of(slice)).isNotSameAs(none.of(slice)).isEqualTo(none.of(slice));
    assertThat(none.size()).isZero();
  }

  private Explanation explain() {
    return explainer.explain(
        H100_80GI, cluster.nodes, List.copyOf(cluster.slices), ExplainCluster.CLASSES, List.of());
  }

  private static ResourceSlice version(ResourceSlice slice, String uid, String resourceVersion) {
    return new ResourceSliceBuilder(slice)
        .editMetadata()
        .withUid(uid)
        .withResourceVersion(resourceVersion)
        .endMetadata()
        .build();
  }

  private static ResourceSlice withMemory(ResourceSlice slice, String memory) {
    ResourceSlice copy = new ResourceSliceBuilder(slice).build();
    var devices = new ArrayList<>(copy.getSpec().getDevices());
    for (var device : devices) {
      if (device.getCapacity() != null && device.getCapacity().containsKey("memory")) {
        var capacity = new java.util.LinkedHashMap<>(device.getCapacity());
        capacity.put(
            "memory",
            new DeviceCapacityBuilder(capacity.get("memory"))
                .withValue(new Quantity(memory))
                .build());
        device.setCapacity(capacity);
      }
    }
    copy.getSpec().setDevices(devices);
    return copy;
  }
}
