package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * A ResourceSlice prepared once for many allocations: its pool, generation and devices with their
 * IDs. Immutable after construction, so allocations on several threads may share it.
 */
final class SliceEntry {
  final ResourceSlice slice;
  final String name;
  final PoolId pool;
  final long generation;
  final long resourceSliceCount;
  final boolean perDeviceNodeSelection;
  final boolean hasSharedCounters;
  final List<DeviceEntry> devices;

  SliceEntry(ResourceSlice slice) {
    this.slice = slice;
    ResourceSliceSpec spec = slice.getSpec();
    this.name = slice.getMetadata() == null ? "" : String.valueOf(slice.getMetadata().getName());
    this.pool = new PoolId(spec.getDriver(), spec.getPool().getName());
    this.generation = spec.getPool().getGeneration() == null ? 0 : spec.getPool().getGeneration();
    this.resourceSliceCount =
        spec.getPool().getResourceSliceCount() == null ? 0 : spec.getPool().getResourceSliceCount();
    this.perDeviceNodeSelection = Boolean.TRUE.equals(spec.getPerDeviceNodeSelection());
    this.hasSharedCounters =
        spec.getSharedCounters() != null && !spec.getSharedCounters().isEmpty();
    List<DeviceEntry> entries = new ArrayList<>();
    for (Device d : NodeMatcher.nullToEmpty(spec.getDevices())) {
      entries.add(new DeviceEntry(new DeviceId(pool.driver(), pool.pool(), d.getName()), d, this));
    }
    this.devices = List.copyOf(entries);
  }

  ResourceSliceSpec spec() {
    return slice.getSpec();
  }

  /** The node name of a node-local slice, or null. */
  String nodeName() {
    String n = spec().getNodeName();
    return n == null || n.isEmpty() ? null : n;
  }
}
