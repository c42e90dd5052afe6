package dev.gpudra.core.explain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClassBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PendingClaimExplainerTest {

  private static final String DRIVER = "gpu.gpudra.dev";
  private static final PendingClaimExplainer EXPLAINER =
      new PendingClaimExplainer(
          new SelectorCache(SelectorEnvironment.create(), 100), AllocationBudget.DEFAULT);
  private static final List<DeviceClass> CLASSES =
      List.of(
          deviceClass(
              "gpu.gpudra.dev",
              "device.driver == \"gpu.gpudra.dev\" && device.attributes[\"gpu.gpudra.dev\"].type == \"gpu\""));

  private static DeviceClass deviceClass(String name, String expression) {
    return new DeviceClassBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .addNewSelector()
        .withNewCel()
        .withExpression(expression)
        .endCel()
        .endSelector()
        .endSpec()
        .build();
  }

  private static Gpu l4(int minor) {
    return new Gpu(
        minor,
        minor,
        "GPU-" + minor,
        "NVIDIA L4",
        "Nvidia",
        "Ada Lovelace",
        "8.9",
        24L << 30,
        String.format("0000:%02x:00.0", minor + 1),
        MigMode.NOT_CAPABLE,
        List.of(),
        List.of());
  }

  private static Node node(String name) {
    return new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
  }

  private static List<ResourceSlice> slices(String node, int gpus) {
    List<Gpu> list = IntStream.range(0, gpus).mapToObj(PendingClaimExplainerTest::l4).toList();
    List<ResourceSlice> slices = new ArrayList<>();
    for (ResourceSliceSpec spec :
        ResourceSliceMapper.map(
            new NodeInventory("550.54.15", "12.4", list, List.of()),
            new SliceMappingOptions(DRIVER, node, false))) {
      spec.getPool().setGeneration(1L);
      slices.add(
          new ResourceSliceBuilder()
              .withNewMetadata()
              .withName(node + "-" + slices.size())
              .endMetadata()
              .withSpec(spec)
              .build());
    }
    return slices;
  }

  private static ResourceClaim claim(String name, String deviceClass, String selector) {
    var request =
        new ResourceClaimBuilder()
            .withNewMetadata()
            .withNamespace("ml")
            .withName(name)
            .withUid(name + "-uid")
            .endMetadata()
            .withNewSpec()
            .withNewDevices()
            .addNewRequest()
            .withName("gpu")
            .withNewExactly()
            .withDeviceClassName(deviceClass)
            .withAllocationMode("ExactCount") // the API server's defaults
            .withCount(1L);
    if (selector != null) {
      request =
          request.addNewSelector().withNewCel().withExpression(selector).endCel().endSelector();
    }
    return request.endExactly().endRequest().endDevices().endSpec().build();
  }

  private static ResourceClaim holding(String name, String node, String device) {
    return new ResourceClaimBuilder(claim(name, "gpu.gpudra.dev", null))
        .withNewStatus()
        .withNewAllocation()
        .withNewDevices()
        .addNewResult()
        .withDriver(DRIVER)
        .withPool(node)
        .withDevice(device)
        .withRequest("gpu")
        .endResult()
        .endDevices()
        .endAllocation()
        .endStatus()
        .build();
  }

  @Test
  void groupsNodesBySelectorsThatMatchNothing() {
    ResourceClaim claim =
        claim(
            "big",
            "gpu.gpudra.dev",
            "device.capacity[\"gpu.gpudra.dev\"].memory.compareTo(quantity(\"40Gi\")) >= 0");
    List<ResourceSlice> slices = new ArrayList<>(slices("node-a", 2));
    slices.addAll(slices("node-b", 4));

    Explanation explanation =
        EXPLAINER.explain(
            claim, List.of(node("node-a"), node("node-b")), slices, CLASSES, List.of(claim));

    assertThat(explanation.headline()).isEqualTo("claim ml/big fits on none of 2 nodes:");
    assertThat(explanation.details())
        .containsExactly(
            "request \"gpu\": 6x NVIDIA L4 on 2 nodes (node-a, node-b): memory 24Gi < 40Gi",
            "node-a: request \"gpu\" has selectors false on 2 devices, needs 1 but only 0 usable",
            "node-b: request \"gpu\" has selectors false on 4 devices, needs 1 but only 0 usable");
  }

  @Test
  void saysWhenMatchingDevicesAreAllTaken() {
    ResourceClaim claim = claim("late", "gpu.gpudra.dev", null);
    List<ResourceClaim> claims =
        List.of(claim, holding("first", "node-a", "gpu-0"), holding("second", "node-a", "gpu-1"));

    Explanation explanation =
        EXPLAINER.explain(claim, List.of(node("node-a")), slices("node-a", 2), CLASSES, claims);

    assertThat(explanation.details())
        .containsExactly(
            "request \"gpu\" asks 1; node-a has 0 free of 2 matching: 2 held by ml/first,"
                + " ml/second",
            "node-a: request \"gpu\" finds 2 matching devices allocated to other claims,"
                + " needs 1 but only 0 usable");
    assertThat(explanation.summary())
        .isEqualTo(
            "claim ml/late fits on none of 1 nodes: request \"gpu\" asks 1; node-a has 0 free of"
                + " 2 matching: 2 held by ml/first, ml/second; node-a: request \"gpu\" finds 2"
                + " matching devices allocated to other claims, needs 1 but only 0 usable");
  }

  @Test
  void namesNodesWithoutSlicesAndCountsLongGroups() {
    ResourceClaim claim = claim("c", "gpu.gpudra.dev", null);
    List<Node> nodes = IntStream.range(0, 5).mapToObj(i -> node("cpu-" + i)).toList();

    Explanation explanation = EXPLAINER.explain(claim, nodes, List.of(), CLASSES, List.of(claim));

    assertThat(explanation.details())
        .containsExactly(
            "request \"gpu\": no devices are published on cpu-0, cpu-1, cpu-2 and 2 more",
            "cpu-0, cpu-1, cpu-2 and 2 more: claim finds no ResourceSlices on the node");
  }

  /**
   * Over many nodes the allocator searches only where a claim could fit: a claim for a GPU only the
   * last node has is found there, and one for a GPU no node has names the few nodes searched in the
   * allocator's words and counts the others it ruled out from selectors alone.
   */
  @Test
  void overManyNodesTheClaimIsFoundWhereItFitsAndTheOthersAreRuledOut() {
    List<Node> nodes = new ArrayList<>();
    List<ResourceSlice> slices = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      String name = String.format("node-%02d", i);
      nodes.add(node(name));
      slices.addAll(slices(name, i == 9 ? 4 : 2));
    }
    ResourceClaim fourth =
        claim("fourth", DRIVER, "device.attributes[\"" + DRIVER + "\"].uuid == \"GPU-3\"");
    ResourceClaim eighth =
        claim("eighth", DRIVER, "device.attributes[\"" + DRIVER + "\"].uuid == \"GPU-7\"");
    PendingClaimExplainer.Snapshot snapshot =
        EXPLAINER.snapshot(nodes, slices, CLASSES, List.of(fourth, eighth));

    assertThat(snapshot.explain(fourth).headline())
        .isEqualTo(
            "claim ml/fourth fits now on node-09 (on node-09: gpu-3); it waits for a pod to be"
                + " scheduled");
    Explanation nowhere = snapshot.explain(eighth);
    assertThat(nowhere.headline()).isEqualTo("claim ml/eighth fits on none of 10 nodes:");
    assertThat(nowhere.details())
        .contains(
            "node-03, node-04, node-05 and 4 more: request \"gpu\" finds 0 devices matching its"
                + " selectors, needs 1",
            "node-00, node-01, node-02: request \"gpu\" has selectors false on 2 devices, needs 1"
                + " but only 0 usable");
    assertThat(nowhere.causes()).isNotEmpty().allMatch(Cause::concrete);
  }

  @Test
  void aClaimThatFitsWaitsForTheScheduler() {
    ResourceClaim claim = claim("ok", "gpu.gpudra.dev", null);

    Explanation explanation =
        EXPLAINER.explain(
            claim, List.of(node("node-a")), slices("node-a", 1), CLASSES, List.of(claim));

    assertThat(explanation.headline())
        .isEqualTo(
            "claim ml/ok fits now on node-a (on node-a: gpu-0); it waits for a pod to be scheduled");
  }

  @Test
  void aMissingDeviceClassFailsOnEveryNode() {
    ResourceClaim claim = claim("typo", "gpu.gpudra.dve", null);

    Explanation explanation =
        EXPLAINER.explain(
            claim, List.of(node("node-a")), slices("node-a", 1), CLASSES, List.of(claim));

    assertThat(explanation.headline())
        .startsWith("claim ml/typo cannot be allocated on any node:")
        .contains("gpu.gpudra.dve");
    assertThat(explanation.text()).isEqualTo(explanation.headline());
  }

  @Test
  void claimsWithTheSameRequestsGetTheSameReasonsEachUnderItsOwnName() {
    String big = "device.capacity[\"gpu.gpudra.dev\"].memory.compareTo(quantity(\"40Gi\")) >= 0";
    ResourceClaim first = claim("first", "gpu.gpudra.dev", big);
    ResourceClaim second = claim("second", "gpu.gpudra.dev", big);
    ResourceClaim small = claim("small", "gpu.gpudra.dev", null);
    List<ResourceSlice> slices = new ArrayList<>(slices("node-a", 2));
    slices.addAll(slices("node-b", 1));
    PendingClaimExplainer.Snapshot snapshot =
        EXPLAINER.snapshot(
            List.of(node("node-b"), node("node-a")),
            slices,
            CLASSES,
            List.of(first, second, small, holding("taken", "node-b", "gpu-0")));

    Explanation one = snapshot.explain(first);
    Explanation two = snapshot.explain(second);
    Explanation three = snapshot.explain(small);

    assertThat(one.headline()).isEqualTo("claim ml/first fits on none of 2 nodes:");
    assertThat(two.headline()).isEqualTo("claim ml/second fits on none of 2 nodes:");
    assertThat(two.claim()).isEqualTo("second");
    assertThat(two.details())
        .isEqualTo(one.details())
        .containsExactly(
            "request \"gpu\": 3x NVIDIA L4 on 2 nodes (node-a, node-b): memory 24Gi < 40Gi",
            "node-a: request \"gpu\" has selectors false on 2 devices, needs 1 but only 0 usable",
            "node-b: request \"gpu\" has selectors false on 1 device, needs 1 but only 0 usable");
    assertThat(three.headline())
        .isEqualTo(
            "claim ml/small fits now on node-a (on node-a: gpu-0); it waits for a pod to be scheduled");
  }

  @Test
  void anInvalidClaimIsNamedItselfAfterAnotherWithTheSameRequests() {
    String broken = "device.attributes[\"gpu.gpudra.dev\"].productName ==";
    PendingClaimExplainer.Snapshot snapshot =
        EXPLAINER.snapshot(List.of(node("node-a")), slices("node-a", 1), CLASSES, List.of());

    Explanation one = snapshot.explain(claim("one", "gpu.gpudra.dev", broken));
    Explanation two = snapshot.explain(claim("two", "gpu.gpudra.dev", broken));

    assertThat(one.headline())
        .startsWith("claim ml/one cannot be allocated on any node: claim ml/one: selector #0");
    assertThat(two.headline())
        .startsWith("claim ml/two cannot be allocated on any node: claim ml/two: selector #0");
  }
}
