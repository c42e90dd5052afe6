package dev.gpudra.core.explain;

import static dev.gpudra.core.explain.ExplainCluster.claim;
import static dev.gpudra.core.explain.ExplainCluster.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaintBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Goldens: for the mistakes ML engineers make most, the first line after the headline (the one an
 * Event shows first) names the cause with the values the cluster has.
 */
class TypicalMistakesGoldenTest {

  private static final String D = "device.attributes[\"gpu.gpudra.dev\"].";
  private static final String C = "device.capacity[\"gpu.gpudra.dev\"].";

  static ExplainCluster a100AndH100() {
    return new ExplainCluster()
        .node("gpu-a100-8x", "a100-8x", false)
        .node("gpu-h100-8x", "h100-8x", false);
  }

  static Stream<Arguments> mistakes() {
    return Stream.of(
        Arguments.of(
            "an H100 with at least 80Gi (it reports 81559Mi)",
            (Supplier<ExplainCluster>) TypicalMistakesGoldenTest::a100AndH100,
            claim(
                "h100-80gi",
                request(
                    "gpu",
                    "gpu.gpudra.dev",
                    1,
                    C
                        + "memory.compareTo(quantity(\"80Gi\")) >= 0 && "
                        + D
                        + "productName.contains(\"H100\")")),
            "request \"gpu\": 6x NVIDIA H100 80GB HBM3 on gpu-h100-8x: memory 81559Mi (79.6Gi) < 80Gi"),
        Arguments.of(
            "a typo in an attribute name",
            (Supplier<ExplainCluster>) TypicalMistakesGoldenTest::a100AndH100,
            claim(
                "typo",
                request(
                    "gpu", "gpu.gpudra.dev", 1, D + "prodcutName == \"NVIDIA H100 80GB HBM3\"")),
            "request \"gpu\": 6x NVIDIA H100 80GB HBM3 on gpu-h100-8x: attribute"
                + " gpu.gpudra.dev/prodcutName does not exist on these devices (did you mean"
                + " gpu.gpudra.dev/productName?)"),
        Arguments.of(
            "another driver's domain in the attribute path",
            (Supplier<ExplainCluster>) TypicalMistakesGoldenTest::a100AndH100,
            claim(
                "domain",
                request(
                    "gpu",
                    "gpu.gpudra.dev",
                    1,
                    "device.attributes[\"nvidia.com\"].productName.contains(\"H100\")")),
            "request \"gpu\": 6x NVIDIA H100 80GB HBM3 on gpu-h100-8x: attribute"
                + " nvidia.com/productName does not exist on these devices (did you mean"
                + " gpu.gpudra.dev/productName?)"),
        Arguments.of(
            "a MIG profile that does not exist",
            (Supplier<ExplainCluster>)
                () -> new ExplainCluster().node("gpu-h100-mig", "h100-8x", true),
            claim("mig", request("mig", "mig.gpudra.dev", 1, D + "profile == \"1g.12gb\"")),
            "request \"mig\": profile == \"1g.12gb\" is false on all 50 candidate devices; the values"
                + " there: \"1g.10gb\" (14), \"1g.10gb+me\" (14), \"1g.20gb\" (8), \"2g.20gb\" (6),"
                + " \"3g.40gb\" (4), \"4g.40gb\" (2), \"7g.80gb\" (2)"),
        Arguments.of(
            "more GPUs than any node has",
            (Supplier<ExplainCluster>) TypicalMistakesGoldenTest::a100AndH100,
            claim("nine", request("gpus", "gpu.gpudra.dev", 9)),
            "request \"gpus\" asks 9; no node has more than 6 matching devices (gpu-h100-8x has 6)"),
        Arguments.of(
            "GPUs that must share a PCIe root",
            (Supplier<ExplainCluster>) TypicalMistakesGoldenTest::a100AndH100,
            new ResourceClaimBuilder(claim("pcie", request("gpus", "gpu.gpudra.dev", 3)))
                .editSpec()
                .editDevices()
                .addNewConstraint()
                .withMatchAttribute("resource.kubernetes.io/pcieRoot")
                .endConstraint()
                .endDevices()
                .endSpec()
                .build(),
            "constraint matchAttribute resource.kubernetes.io/pcieRoot over gpus: no node has 3 free"
                + " matching devices with one value; gpu-h100-8x has pci0000:15 x1, pci0000:26 x1,"
                + " pci0000:37 x1, pci0000:59 x1, pci0000:97 x1, pci0000:a8 x1"),
        Arguments.of(
            "a GPU with an XID taint",
            (Supplier<ExplainCluster>) TypicalMistakesGoldenTest::taintedH100,
            claim(
                "tainted",
                request("gpu", "gpu.gpudra.dev", 1, D + "productName.contains(\"H100\")")),
            "request \"gpu\" asks 1; gpu-h100-8x has 0 free of 6 matching: 6 tainted"
                + " gpu.gpudra.dev/xid=79:NoSchedule and no toleration of the request matches"),
        Arguments.of(
            "MIG slices used up",
            (Supplier<ExplainCluster>) TypicalMistakesGoldenTest::migUsedUp,
            claim("small", request("mig", "mig.gpudra.dev", 1, D + "profile == \"1g.10gb\"")),
            "request \"mig\" asks 1; gpu-h100-mig has 0 free of 14 matching: 7 need 16"
                + " multiprocessors of counter set gpu-6-counter-set, which has 0 of 132 left (used"
                + " by ml/big); 7 need 16 multiprocessors of counter set gpu-7-counter-set, which"
                + " has 0 of 132 left (used by ml/big)"),
        Arguments.of(
            "a fraction of a GPU with no memory left",
            (Supplier<ExplainCluster>) TypicalMistakesGoldenTest::sharedGpuFull,
            claim("slice", fraction("gpu", "4Gi")),
            "request \"gpu\" asks 1; gpu-shared has 0 free of 6 matching: 6 have 663Mi of 81559Mi"
                + " memory free, the request asks 4Gi (used by ml/tenant-0, ml/tenant-1,"
                + " ml/tenant-2 and 3 more)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mistakes")
  void theFirstLineNamesTheCause(
      String mistake, Supplier<ExplainCluster> cluster, ResourceClaim claim, String firstLine) {
    Explanation explanation = cluster.get().explain(claim);

    assertThat(explanation.fits()).isFalse();
    assertThat(explanation.causes()).isNotEmpty().allMatch(Cause::concrete);
    assertThat(explanation.details().get(0)).isEqualTo(firstLine);
  }

  private static ExplainCluster taintedH100() {
    ExplainCluster cluster = a100AndH100();
    cluster.slices.stream()
        .filter(s -> s.getSpec().getNodeName().equals("gpu-h100-8x"))
        .flatMap(s -> s.getSpec().getDevices().stream())
        .forEach(
            d ->
                d.setTaints(
                    java.util.List.of(
                        new DeviceTaintBuilder()
                            .withKey("gpu.gpudra.dev/xid")
                            .withValue("79")
                            .withEffect("NoSchedule")
                            .build())));
    return cluster;
  }

  private static ExplainCluster migUsedUp() {
    return new ExplainCluster()
        .node("gpu-h100-mig", "h100-8x", true)
        .holding(
            claim("big", request("mig", "mig.gpudra.dev", 2, D + "profile == \"7g.80gb\"")),
            "gpu-h100-mig");
  }

  private static ExplainCluster sharedGpuFull() {
    ExplainCluster cluster = new ExplainCluster().node("gpu-shared", "h100-8x", false);
    cluster.slices.stream()
        .flatMap(s -> s.getSpec().getDevices().stream())
        .forEach(d -> d.setAllowMultipleAllocations(true));
    cluster.slices.forEach(
        s ->
            s.getSpec()
                .getDevices()
                .forEach(
                    d -> {
                      DeviceCapacity memory = d.getCapacity().get("memory");
                      memory.setValue(new Quantity("81559Mi"));
                    }));
    for (int i = 0; i < 6; i++) {
      cluster.holding(claim("tenant-" + i, fraction("gpu", "79Gi")), "gpu-shared");
    }
    return cluster;
  }

  private static DeviceRequest fraction(String name, String memory) {
    return new DeviceRequestBuilder()
        .withName(name)
        .withNewExactly()
        .withDeviceClassName("gpu.gpudra.dev")
        .withAllocationMode("ExactCount")
        .withCount(1L)
        .withNewCapacity()
        .addToRequests("memory", new Quantity(memory))
        .endCapacity()
        .endExactly()
        .build();
  }
}
