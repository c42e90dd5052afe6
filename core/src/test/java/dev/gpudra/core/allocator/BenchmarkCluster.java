package dev.gpudra.core.allocator;

import static dev.gpudra.core.allocator.Fixtures.consumes;
import static dev.gpudra.core.allocator.Fixtures.counterSet;
import static dev.gpudra.core.allocator.Fixtures.device;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSet;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimStatusBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.ArrayList;
import java.util.List;

/**
 * A GPU cluster as this driver publishes it: per node one pool of 8 GPUs with the NVIDIA-style
 * attributes, optionally with every MIG placement of an 80 GB GPU as partitionable devices that
 * share the GPU's counters.
 */
final class BenchmarkCluster {
  static final int GPUS_PER_NODE = 8;

  /** MIG profile, memory in GiB, compute slices, number of placements on one GPU. */
  private static final Object[][] MIG_PROFILES = {
    {"1g.10gb", 10, 1, 7},
    {"2g.20gb", 20, 2, 3},
    {"3g.40gb", 40, 3, 2},
    {"4g.40gb", 40, 4, 1},
    {"7g.80gb", 80, 7, 1},
  };

  private BenchmarkCluster() {}

  static List<ResourceSlice> slices(int nodes, boolean mig) {
    List<ResourceSlice> out = new ArrayList<>();
    for (int n = 0; n < nodes; n++) {
      String node = "node-" + n;
      if (!mig) {
        List<Device> gpus = new ArrayList<>();
        for (int g = 0; g < GPUS_PER_NODE; g++) {
          gpus.add(gpu(n, g, false));
        }
        out.add(Fixtures.nodeSlice(node + "-gpus", node, node, gpus.toArray(Device[]::new)));
        continue;
      }
      List<CounterSet> sets = new ArrayList<>();
      for (int g = 0; g < GPUS_PER_NODE; g++) {
        sets.add(counterSet("gpu-" + g + "-counters", "memory", "80Gi", "slices", "7"));
      }
      ResourceSlice counters =
          Fixtures.counterSlice(node + "-counters", node, node, 3, sets.get(0));
      counters.getSpec().setSharedCounters(sets);
      out.add(counters);
      for (int half = 0; half < 2; half++) {
        List<Device> devices = new ArrayList<>();
        for (int g = half * 4; g < half * 4 + 4; g++) {
          devices.add(gpu(n, g, true));
          devices.addAll(migDevices(g));
        }
        out.add(
            Fixtures.slice(node + "-gpus-" + half, node, 1, 3, devices.toArray(Device[]::new))
                .editSpec()
                .withNodeName(node)
                .endSpec()
                .build());
      }
    }
    return out;
  }

  private static Device gpu(int node, int g, boolean mig) {
    Device d =
        device(
            "gpu-" + g,
            "type",
            "gpu",
            "uuid",
            "GPU-" + node + "-" + g,
            "productName",
            g < 4 ? "NVIDIA H100 80GB HBM3" : "NVIDIA A100-SXM4-80GB",
            "brand",
            "Nvidia",
            "architecture",
            g < 4 ? "Hopper" : "Ampere",
            "cudaComputeCapability",
            g < 4 ? "v:9.0.0" : "v:8.0.0",
            "driverVersion",
            "v:580.65.6",
            "cudaDriverVersion",
            "v:13.0.0",
            "resource.kubernetes.io/pcieRoot",
            "pci0000:" + (g / 2),
            "resource.kubernetes.io/pciBusID",
            "0000:" + (10 + g) + ":00.0",
            "memory",
            new Quantity("80Gi"));
    if (mig) {
      d.setConsumesCounters(
          List.of(consumes("gpu-" + g + "-counters", "memory", "80Gi", "slices", "7")));
    }
    return d;
  }

  private static List<Device> migDevices(int g) {
    List<Device> out = new ArrayList<>();
    for (Object[] p : MIG_PROFILES) {
      int placements = (int) p[3];
      for (int start = 0; start < placements; start++) {
        Device d =
            device(
                "gpu-" + g + "-mig-" + p[0] + "-" + start,
                "type",
                "mig",
                "profile",
                p[0],
                "parentUUID",
                "GPU-" + g,
                "productName",
                "NVIDIA H100 80GB HBM3",
                "memory",
                new Quantity(p[1] + "Gi"));
        d.setConsumesCounters(
            List.of(
                consumes("gpu-" + g + "-counters", "memory", p[1] + "Gi", "slices", "" + p[2])));
        out.add(d);
      }
    }
    return out;
  }

  /** Claims holding the given devices of a node's pool, one claim per device. */
  static List<ResourceClaim> holding(String node, List<String> devices) {
    List<ResourceClaim> out = new ArrayList<>();
    for (String device : devices) {
      DeviceRequestAllocationResult r = new DeviceRequestAllocationResult();
      r.setRequest("r");
      r.setDriver(Fixtures.DRIVER);
      r.setPool(node);
      r.setDevice(device);
      ResourceClaim c = Fixtures.claim("held-" + node + "-" + device).build();
      c.setStatus(
          new ResourceClaimStatusBuilder()
              .withNewAllocation()
              .withNewDevices()
              .withResults(r)
              .endDevices()
              .endAllocation()
              .build());
      out.add(c);
    }
    return out;
  }
}
