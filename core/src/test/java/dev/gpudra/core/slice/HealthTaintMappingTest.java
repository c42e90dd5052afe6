package dev.gpudra.core.slice;

import static dev.gpudra.core.slice.TestInventories.a100;
import static dev.gpudra.core.slice.TestInventories.h100;
import static dev.gpudra.core.slice.TestInventories.l4;
import static dev.gpudra.core.slice.TestInventories.node;
import static dev.gpudra.core.slice.TestInventories.threeG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.health.HealthCause;
import dev.gpudra.core.health.HealthCondition;
import dev.gpudra.core.health.HealthTarget;
import dev.gpudra.core.health.TaintEffect;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaint;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Health conditions become device taints in the published slices. */
class HealthTaintMappingTest {

  private static final SliceMappingOptions STATIC =
      new SliceMappingOptions("gpu.gpudra.dev", "node-a", false);
  private static final SliceMappingOptions DYNAMIC =
      new SliceMappingOptions("gpu.gpudra.dev", "node-a", true);
  private static final MigMode MIG_ON = new MigMode(true, true, true);
  private static final MigMode MIG_OFF = new MigMode(true, false, false);
  private static final Instant T0 = Instant.parse("2026-12-03T15:40:07.250Z");

  private static HealthCondition xid(HealthTarget target, int xid, TaintEffect effect) {
    return new HealthCondition(
        target, HealthCause.XID, Integer.toString(xid), effect, T0, "XID " + xid);
  }

  private static List<Device> devices(List<ResourceSliceSpec> slices) {
    return slices.stream().flatMap(s -> s.getDevices().stream()).toList();
  }

  private static List<String> tainted(List<ResourceSliceSpec> slices) {
    return devices(slices).stream()
        .filter(d -> d.getTaints() != null && !d.getTaints().isEmpty())
        .map(Device::getName)
        .toList();
  }

  private static Device device(List<ResourceSliceSpec> slices, String name) {
    return devices(slices).stream().filter(d -> d.getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void fatalXidTaintsExactlyThatGpuWithKeyValueEffectAndWholeSecondTime() {
    List<ResourceSliceSpec> slices =
        ResourceSliceMapper.map(
            node(a100(0, MIG_OFF, List.of()), l4(1)),
            STATIC,
            List.of(xid(new HealthTarget.WholeGpu(0), 79, TaintEffect.NO_SCHEDULE)));

    assertThat(tainted(slices)).containsExactly("gpu-0");
    DeviceTaint taint = device(slices, "gpu-0").getTaints().getFirst();
    assertThat(taint.getKey()).isEqualTo("gpu.gpudra.dev/xid");
    assertThat(taint.getValue()).isEqualTo("79");
    assertThat(taint.getEffect()).isEqualTo("NoSchedule");
    assertThat(taint.getTimeAdded()).isEqualTo("2026-12-03T15:40:07Z");
  }

  @Test
  void noConditionsPublishesTheSameSlicesAsBefore() {
    NodeInventory inventory = node(a100(0, MIG_OFF, List.of()), l4(1));

    assertThat(ResourceSliceMapper.map(inventory, STATIC, List.of()))
        .isEqualTo(ResourceSliceMapper.map(inventory, STATIC));
  }

  @Test
  void gpuFaultTaintsEveryPlacementOfItsGpuUnderDynamicMig() {
    List<ResourceSliceSpec> slices =
        ResourceSliceMapper.map(
            node(h100(0, MIG_ON), h100(1, MIG_ON)),
            DYNAMIC,
            List.of(
                new HealthCondition(
                    new HealthTarget.WholeGpu(1),
                    HealthCause.GPU_LOST,
                    "",
                    TaintEffect.NO_EXECUTE,
                    T0,
                    "GPU is lost")));

    List<String> gpu1 =
        devices(slices).stream().map(Device::getName).filter(n -> n.startsWith("gpu-1-")).toList();
    assertThat(gpu1).isNotEmpty();
    assertThat(tainted(slices)).containsExactlyInAnyOrderElementsOf(gpu1);
    DeviceTaint taint = device(slices, gpu1.getFirst()).getTaints().getFirst();
    assertThat(taint.getKey()).isEqualTo("gpu.gpudra.dev/gpu-lost");
    assertThat(taint.getValue()).isNull();
    assertThat(taint.getEffect()).isEqualTo("NoExecute");
  }

  @Test
  void migInstanceXidTaintsOnlyThatInstance() {
    HealthTarget instance = new HealthTarget.MigInstance(0, 9, 4, OptionalInt.of(0));
    List<ResourceSliceSpec> staticSlices =
        ResourceSliceMapper.map(
            node(a100(0, MIG_ON, List.of(threeG(0))), l4(1)),
            STATIC,
            List.of(xid(instance, 94, TaintEffect.NONE)));
    List<ResourceSliceSpec> dynamicSlices =
        ResourceSliceMapper.map(
            node(a100(0, MIG_ON, List.of())),
            DYNAMIC,
            List.of(xid(instance, 48, TaintEffect.NO_SCHEDULE)));

    assertThat(tainted(staticSlices)).containsExactly("gpu-0-mig-3g40gb-9-4");
    assertThat(tainted(dynamicSlices)).containsExactly("gpu-0-mig-3g40gb-9-4");
  }

  @Test
  void oneTaintPerKeyTheStrongestEffectWins() {
    HealthTarget gpu = new HealthTarget.WholeGpu(0);
    List<ResourceSliceSpec> slices =
        ResourceSliceMapper.map(
            node(l4(0)),
            STATIC,
            List.of(
                xid(gpu, 13, TaintEffect.NONE),
                xid(gpu, 48, TaintEffect.NO_SCHEDULE),
                new HealthCondition(
                    gpu, HealthCause.UNMONITORED, "NotSupported", TaintEffect.NONE, T0, "no")));

    assertThat(device(slices, "gpu-0").getTaints())
        .extracting(DeviceTaint::getKey, DeviceTaint::getValue, DeviceTaint::getEffect)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "gpu.gpudra.dev/unmonitored", "NotSupported", "None"),
            org.assertj.core.groups.Tuple.tuple("gpu.gpudra.dev/xid", "48", "NoSchedule"));
  }

  @Test
  void slicesWithTaintsHoldAtMost64Devices() {
    List<Gpu> gpus = new ArrayList<>();
    for (int minor = 0; minor < 100; minor++) {
      gpus.add(l4(minor));
    }
    NodeInventory inventory = new NodeInventory("550.54.15", "12.4", gpus, List.of());

    List<ResourceSliceSpec> healthy = ResourceSliceMapper.map(inventory, STATIC);
    List<ResourceSliceSpec> tainted =
        ResourceSliceMapper.map(
            inventory,
            STATIC,
            List.of(xid(new HealthTarget.WholeGpu(3), 79, TaintEffect.NO_SCHEDULE)));

    assertThat(healthy).hasSize(1);
    assertThat(tainted).hasSize(2);
    assertThat(tainted).allSatisfy(s -> assertThat(s.getDevices()).hasSizeLessThanOrEqualTo(64));
    assertThat(tainted)
        .allSatisfy(s -> assertThat(s.getPool().getResourceSliceCount()).isEqualTo(2));
  }
}
