package dev.gpudra.plugin.prepare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.cdi.MigMinors;
import dev.gpudra.cdi.PreparedDevice;
import dev.gpudra.core.checkpoint.DynamicMig;
import dev.gpudra.core.config.NodeSharingPolicy;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigCounters;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.device.NodeInventory;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResultBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PreparePlannerTest {

  private static final String UID = "11111111-2222-4333-8444-555555555555";
  private static final ClaimRef REF = new ClaimRef("ml", UID, "train");
  private static final String GPU0 = "GPU-00000000-0000-4000-8000-000000000000";
  private static final String GPU1 = "GPU-00000000-0000-4000-8000-000000000001";
  private static final String MIG = "MIG-00000000-0000-4000-8000-0000000000aa";

  private static final NodeInventory INVENTORY =
      new NodeInventory(
          "550.54.15",
          "12.4",
          List.of(
              gpu(0, GPU0, MigMode.NOT_CAPABLE, List.of()),
              gpu(
                  1,
                  GPU1,
                  new MigMode(true, true, true),
                  List.of(
                      new MigDevice(
                          MIG,
                          GPU1,
                          1,
                          "1g.10gb",
                          19,
                          7,
                          0,
                          new MigPlacement(4, 1),
                          10L << 30,
                          new MigCounters(1, 14, 1, 0, 0, 0, 0))))),
          List.of());

  private static final PreparePlanner PLANNER =
      new PreparePlanner(
          "gpu.gpudra.dev",
          "node-a",
          INVENTORY,
          MigMinors.parse("gpu1/gi7/access 66\ngpu1/gi7/ci0/access 67\n"),
          NodeSharingPolicy.exclusiveOnly("GPUDRA_SHARING_STRATEGIES"),
          false);

  private static Gpu gpu(int minor, String uuid, MigMode mode, List<MigDevice> migs) {
    return new Gpu(
        minor,
        minor,
        uuid,
        "NVIDIA A100-SXM4-80GB",
        "Nvidia",
        "Ampere",
        "8.0",
        80L << 30,
        "0000:0" + minor + ":00.0",
        mode,
        List.of(),
        migs);
  }

  private static DeviceRequestAllocationResult result(
      String request, String driver, String pool, String device, Boolean admin) {
    return new DeviceRequestAllocationResultBuilder()
        .withRequest(request)
        .withDriver(driver)
        .withPool(pool)
        .withDevice(device)
        .withAdminAccess(admin)
        .build();
  }

  private static ResourceClaim claim(String uid, List<DeviceRequestAllocationResult> results) {
    return new ResourceClaimBuilder()
        .withNewMetadata()
        .withName("train")
        .withNamespace("ml")
        .withUid(uid)
        .endMetadata()
        .withNewStatus()
        .withNewAllocation()
        .withNewDevices()
        .withResults(results)
        .endDevices()
        .endAllocation()
        .endStatus()
        .build();
  }

  @Test
  void plansAFullGpuAndAMigDeviceWithTheirKernelNumbers() throws Exception {
    PreparePlan plan =
        PLANNER.plan(
            REF,
            claim(
                UID,
                List.of(
                    result("big", "gpu.gpudra.dev", "node-a", "gpu-0", null),
                    result("small", "gpu.gpudra.dev", "node-a", "gpu-1-mig-1g10gb-19-4", null),
                    result("other", "example.com", "node-a", "x", null))));

    assertThat(plan.hardware()).hasSize(2);
    assertThat(plan.hardware().get(0))
        .isEqualTo(
            new PreparedDevice.FullGpu("gpu-0", 0, GPU0, dev.gpudra.cdi.Sharing.exclusive()));
    assertThat(plan.hardware().get(1))
        .isEqualTo(
            new PreparedDevice.MigDevice(
                "gpu-1-mig-1g10gb-19-4",
                1,
                GPU1,
                MIG,
                7,
                0,
                66,
                67,
                dev.gpudra.cdi.Sharing.exclusive()));
    assertThat(plan.records().get(0).cdiDeviceIds())
        .containsExactly("k8s.gpu.gpudra.dev/claim=" + UID + "-gpu-0");
  }

  @Test
  void picksTheComputeInstanceANameWithASuffixStandsFor() throws Exception {
    MigCounters oneG = new MigCounters(2, 14, 1, 0, 0, 0, 0);
    String ci1 = "MIG-00000000-0000-4000-8000-0000000000c1";
    NodeInventory split =
        new NodeInventory(
            "550.54.15",
            "12.4",
            List.of(
                gpu(
                    1,
                    GPU1,
                    new MigMode(true, true, true),
                    List.of(
                        new MigDevice(
                            MIG,
                            GPU1,
                            1,
                            "1g.20gb",
                            15,
                            7,
                            0,
                            new MigPlacement(4, 2),
                            10L << 30,
                            oneG),
                        new MigDevice(
                            ci1,
                            GPU1,
                            1,
                            "1g.20gb",
                            15,
                            7,
                            1,
                            new MigPlacement(4, 2),
                            10L << 30,
                            oneG)))),
            List.of());
    PreparePlanner planner =
        new PreparePlanner(
            "gpu.gpudra.dev",
            "node-a",
            split,
            MigMinors.parse("gpu1/gi7/access 66\ngpu1/gi7/ci0/access 67\ngpu1/gi7/ci1/access 68\n"),
            NodeSharingPolicy.exclusiveOnly("GPUDRA_SHARING_STRATEGIES"),
            false);

    PreparePlan plan =
        planner.plan(
            REF,
            claim(
                UID,
                List.of(
                    result("r", "gpu.gpudra.dev", "node-a", "gpu-1-mig-1g20gb-15-4-c1", null))));

    assertThat(plan.hardware().getFirst())
        .isEqualTo(
            new PreparedDevice.MigDevice(
                "gpu-1-mig-1g20gb-15-4-c1",
                1,
                GPU1,
                ci1,
                7,
                1,
                66,
                68,
                dev.gpudra.cdi.Sharing.exclusive()));
  }

  @Test
  void mergesADeviceListedForSeveralRequestsIntoOne() throws Exception {
    PreparePlan plan =
        PLANNER.plan(
            REF,
            claim(
                UID,
                List.of(
                    result("a", "gpu.gpudra.dev", "node-a", "gpu-0", true),
                    result("b", "gpu.gpudra.dev", "node-a", "gpu-0", false))));

    assertThat(plan.records()).hasSize(1);
    assertThat(plan.records().get(0).requestNames()).containsExactly("a", "b");
    assertThat(plan.records().get(0).adminAccess()).isFalse();
  }

  static Stream<Arguments> refusals() {
    return Stream.of(
        Arguments.of(
            "UID mismatch",
            claim("99999999-2222-4333-8444-555555555555", List.of()),
            "with UID 99999999"),
        Arguments.of(
            "not allocated",
            new ResourceClaimBuilder().withNewMetadata().withUid(UID).endMetadata().build(),
            "not allocated"),
        Arguments.of(
            "other driver only",
            claim(UID, List.of(result("r", "example.com", "node-a", "gpu-0", null))),
            "no device of driver gpu.gpudra.dev"),
        Arguments.of(
            "other node",
            claim(UID, List.of(result("r", "gpu.gpudra.dev", "node-b", "gpu-0", null))),
            "allocated in pool node-b, not on this node (node-a)"),
        Arguments.of(
            "missing request",
            claim(UID, List.of(result(null, "gpu.gpudra.dev", "node-a", "gpu-0", null))),
            "lacks its request, pool or device name"),
        Arguments.of(
            "not our name",
            claim(UID, List.of(result("r", "gpu.gpudra.dev", "node-a", "tpu-0", null))),
            "not a device name of this driver"),
        Arguments.of(
            "no such GPU",
            claim(UID, List.of(result("r", "gpu.gpudra.dev", "node-a", "gpu-9", null))),
            "gpu-9 does not exist on this node"),
        Arguments.of(
            "GPU in MIG mode",
            claim(UID, List.of(result("r", "gpu.gpudra.dev", "node-a", "gpu-1", null))),
            "in MIG mode"),
        Arguments.of(
            "MIG device not created",
            claim(
                UID,
                List.of(result("r", "gpu.gpudra.dev", "node-a", "gpu-1-mig-1g10gb-19-5", null))),
            "creating MIG devices on demand is not enabled"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  void refusesWithAReasonNamingTheClaim(String name, ResourceClaim claim, String reason) {
    assertThatThrownBy(() -> PLANNER.plan(REF, claim))
        .isInstanceOf(PrepareRefusedException.class)
        .hasMessageStartingWith("claim ml/train (" + UID + "): ")
        .hasMessageContaining(reason);
  }

  @Test
  void refusesADeviceWhoseRequestsConfigureItDifferently() {
    ResourceClaim claim =
        claim(
            UID,
            List.of(
                result("a", "gpu.gpudra.dev", "node-a", "gpu-0", true),
                result("b", "gpu.gpudra.dev", "node-a", "gpu-0", false)));
    claim
        .getStatus()
        .getAllocation()
        .getDevices()
        .setConfig(
            List.of(
                new io.fabric8.kubernetes.api.model.resource.v1
                        .DeviceAllocationConfigurationBuilder()
                    .withSource("FromClaim")
                    .withRequests(List.of("a"))
                    .withNewOpaque()
                    .withDriver("gpu.gpudra.dev")
                    .withParameters(
                        java.util.Map.of(
                            "apiVersion",
                            "gpu.gpudra.dev/v1",
                            "kind",
                            "GpuConfig",
                            "sharing",
                            java.util.Map.of("strategy", "TimeSlicing")))
                    .endOpaque()
                    .build()));

    assertThatThrownBy(() -> PLANNER.plan(REF, claim))
        .isInstanceOf(PrepareRefusedException.class)
        .hasMessageContaining("requests [a, b] share device gpu-0 but configure it differently");
  }

  // Dynamic MIG: GPU 1 of INVENTORY with the A100's 1g.10gb and 3g.40gb profiles; GPU 2 an H100
  // with MIG off, which offers placements too (it could switch MIG on without a reset).
  private static final MigProfile ONE_G =
      new MigProfile(
          0,
          19,
          "1g.10gb",
          1,
          10L << 30,
          new MigCounters(1, 14, 1, 0, 0, 0, 0),
          7,
          java.util.stream.IntStream.range(0, 7).mapToObj(i -> new MigPlacement(i, 1)).toList());
  private static final MigProfile THREE_G =
      new MigProfile(
          2,
          9,
          "3g.40gb",
          3,
          40L << 30,
          new MigCounters(4, 42, 3, 2, 0, 0, 0),
          2,
          List.of(new MigPlacement(0, 4), new MigPlacement(4, 4)));
  private static final String GPU2 = "GPU-00000000-0000-4000-8000-000000000002";

  private static PreparePlanner dynamicPlanner() {
    Gpu a100 = INVENTORY.gpus().get(1);
    Gpu withProfiles =
        new Gpu(
            a100.index(),
            a100.minor(),
            a100.uuid(),
            a100.productName(),
            a100.brand(),
            a100.architecture(),
            a100.cudaComputeCapability(),
            a100.memoryBytes(),
            a100.pciBusId(),
            a100.migMode(),
            List.of(ONE_G, THREE_G),
            a100.migDevices());
    Gpu h100Off =
        new Gpu(
            2,
            2,
            GPU2,
            "NVIDIA H100 80GB HBM3",
            "Nvidia",
            "Hopper",
            "9.0",
            80L << 30,
            "0000:02:00.0",
            new MigMode(true, false, false),
            List.of(ONE_G),
            List.of());
    return new PreparePlanner(
        "gpu.gpudra.dev",
        "node-a",
        new NodeInventory(
            "550.54.15",
            "12.4",
            List.of(INVENTORY.gpus().get(0), withProfiles, h100Off),
            List.of()),
        MigMinors.NONE,
        NodeSharingPolicy.exclusiveOnly("GPUDRA_SHARING_STRATEGIES"),
        true);
  }

  @Test
  void plansAPlacementOfADynamicMigGpuAsANewDeviceRecordedBeforeItExists() throws Exception {
    PreparePlan plan =
        dynamicPlanner()
            .plan(
                REF,
                claim(
                    UID,
                    List.of(
                        result("mig", "gpu.gpudra.dev", "node-a", "gpu-1-mig-3g40gb-9-4", null),
                        result("gpu", "gpu.gpudra.dev", "node-a", "gpu-0", null))));

    assertThat(plan.devices().get(0))
        .isInstanceOfSatisfying(
            PlannedDevice.NewMig.class,
            mig -> {
              assertThat(mig.parentMinor()).isEqualTo(1);
              assertThat(mig.record().dynamicMig()).isEqualTo(DynamicMig.planned(GPU1, 9, 4, 4));
            });
    assertThat(plan.devices().get(1)).isInstanceOf(PlannedDevice.Existing.class);
    assertThatThrownBy(plan::hardware).hasMessageContaining("has not been created");
  }

  @Test
  void anExistingMigDeviceOfADynamicMigGpuIsStillANewDeviceButStaticModeUsesIt() throws Exception {
    // GPU 1 holds a 1g.10gb device at slice 4: with dynamic MIG the plugin owns the GPU's
    // instances and creates (never adopts) one per claim; statically the device itself is given.
    ResourceClaim claim =
        claim(UID, List.of(result("r", "gpu.gpudra.dev", "node-a", "gpu-1-mig-1g10gb-19-4", null)));

    assertThat(dynamicPlanner().plan(REF, claim).devices().getFirst())
        .isInstanceOf(PlannedDevice.NewMig.class);
    assertThat(PLANNER.plan(REF, claim).devices().getFirst())
        .isInstanceOfSatisfying(
            PlannedDevice.Existing.class, e -> assertThat(e.record().dynamicMig()).isNull());
  }

  static Stream<Arguments> dynamicMigRefusals() {
    return Stream.of(
        Arguments.of(
            "one compute instance",
            result("r", "gpu.gpudra.dev", "node-a", "gpu-1-mig-1g10gb-19-4-c0", null),
            "names one compute instance"),
        Arguments.of(
            "admin access",
            result("r", "gpu.gpudra.dev", "node-a", "gpu-1-mig-1g10gb-19-4", true),
            "admin access to MIG device gpu-1-mig-1g10gb-19-4 is not supported with dynamic MIG"),
        Arguments.of(
            "unknown profile",
            result("r", "gpu.gpudra.dev", "node-a", "gpu-1-mig-2g20gb-14-0", null),
            "GPU 1 has no MIG profile 2g20gb with id 14"),
        Arguments.of(
            "no such placement",
            result("r", "gpu.gpudra.dev", "node-a", "gpu-1-mig-3g40gb-9-2", null),
            "MIG profile 3g.40gb has no placement starting at memory slice 2 on GPU 1"),
        Arguments.of(
            "MIG off",
            result("r", "gpu.gpudra.dev", "node-a", "gpu-2-mig-1g10gb-19-0", null),
            "MIG mode is disabled on GPU 2, so MIG device gpu-2-mig-1g10gb-19-0 cannot be"
                + " created; this plugin does not switch MIG mode on (an administrator can:"
                + " nvidia-smi -i "
                + GPU2
                + " -mig 1)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dynamicMigRefusals")
  void refusesDynamicMigDevicesItCannotCreate(
      String name, DeviceRequestAllocationResult result, String reason) {
    assertThatThrownBy(() -> dynamicPlanner().plan(REF, claim(UID, List.of(result))))
        .isInstanceOf(PrepareRefusedException.class)
        .hasMessageStartingWith("claim ml/train (" + UID + "): ")
        .hasMessageContaining(reason);
  }
}
