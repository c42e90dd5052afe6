package dev.gpudra.core.device.nvml;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.names.DriverNames;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * GPUs that a broken driver reports with the same minor number cannot be named apart ({@code
 * gpu-<minor>}, {@code /dev/nvidia<minor>}): they are faults, and the node's other GPUs are still
 * published. Found by fuzzing the slice mapper's NVML inputs, where it published {@code gpu-0}
 * twice in one pool, which the API server rejects for the whole node.
 */
class DuplicateMinorTest {

  private static final long MIB = 1024L * 1024L;

  private static Gpu l4(int index, int minor) {
    return NvmlInventoryMapper.toGpu(
        new RawGpu(
            index,
            minor,
            "GPU-l4-" + index,
            "NVIDIA L4",
            14,
            8,
            8,
            9,
            23034 * MIB,
            String.format("00000000:%02X:00.0", index + 1),
            false,
            0,
            0,
            List.of(),
            List.of()));
  }

  @Test
  void gpusSharingAMinorAreFaultsAndTheRestIsPublished() {
    NodeInventory node =
        new NodeInventory("580.95.05", "13.0", List.of(l4(0, 0), l4(1, 0), l4(2, 2)), List.of());

    assertThat(node.gpus()).extracting(Gpu::index).containsExactly(2);
    assertThat(node.faults())
        .extracting(f -> f.index() + " " + f.error())
        .containsExactly(
            "0 minor number 0 is reported for 2 GPUs; none of them can be named apart",
            "1 minor number 0 is reported for 2 GPUs; none of them can be named apart");
    List<String> published =
        ResourceSliceMapper.map(node, new SliceMappingOptions(DriverNames.DRIVER, "node-a", false))
            .stream()
            .flatMap(slice -> slice.getDevices().stream())
            .map(Device::getName)
            .toList();
    assertThat(published).containsExactly("gpu-2");
  }
}
