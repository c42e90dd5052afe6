package dev.gpudra.core.allocator;

import static dev.gpudra.core.allocator.Fixtures.all;
import static dev.gpudra.core.allocator.Fixtures.claim;
import static dev.gpudra.core.allocator.Fixtures.consumes;
import static dev.gpudra.core.allocator.Fixtures.counterSet;
import static dev.gpudra.core.allocator.Fixtures.counterSlice;
import static dev.gpudra.core.allocator.Fixtures.device;
import static dev.gpudra.core.allocator.Fixtures.deviceClass;
import static dev.gpudra.core.allocator.Fixtures.exactly;
import static dev.gpudra.core.allocator.Fixtures.firstAvailable;
import static dev.gpudra.core.allocator.Fixtures.holding;
import static dev.gpudra.core.allocator.Fixtures.node;
import static dev.gpudra.core.allocator.Fixtures.nodeSlice;
import static dev.gpudra.core.allocator.Fixtures.slice;
import static dev.gpudra.core.allocator.Fixtures.sub;
import static dev.gpudra.core.allocator.Fixtures.taint;
import static dev.gpudra.core.allocator.Fixtures.toleration;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelectorBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequirements;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceConstraint;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AllocatorTest {
  private static final SelectorCache CEL = new SelectorCache(SelectorEnvironment.create(), 64);
  private static final Node NODE = node("node-a", "zone", "a");
  private static final DeviceClass GPU = deviceClass("gpu", "device.driver == \"gpu.gpudra.dev\"");

  private static Device gpu(String name, String model, long numa) {
    return device(name, "model", model, "numa", numa, "memory", new Quantity("40Gi"));
  }

  private static final ResourceSlice FOUR_GPUS =
      nodeSlice(
          "node-a-gpus",
          "node-a",
          "node-a",
          gpu("gpu-0", "A100", 0),
          gpu("gpu-1", "H100", 0),
          gpu("gpu-2", "A100", 1),
          gpu("gpu-3", "H100", 1));

  private static AllocationOutcome allocate(
      List<ResourceSlice> slices, List<ResourceClaim> held, ResourceClaim... claims) {
    return new Allocator(slices, List.of(GPU), held, CEL)
        .allocate(NODE, List.of(claims), AllocationBudget.DEFAULT);
  }

  private static List<String> devices(AllocationOutcome outcome) {
    assertThat(outcome).isInstanceOf(AllocationOutcome.Allocated.class);
    return ((AllocationOutcome.Allocated) outcome)
        .results().stream()
            .flatMap(r -> r.getDevices().getResults().stream())
            .map(r -> r.getRequest() + "=" + r.getDevice())
            .toList();
  }

  @Test
  void allocatesTheFirstFreeDevicesInSliceOrder() {
    assertThat(
            devices(
                allocate(
                    List.of(FOUR_GPUS), List.of(), claim("c", exactly("r", "gpu", 2)).build())))
        .containsExactly("r=gpu-0", "r=gpu-1");
  }

  @Test
  void skipsDevicesThatOtherClaimsHold() {
    AllocationOutcome outcome =
        allocate(
            List.of(FOUR_GPUS),
            List.of(holding("other", "node-a", "gpu-0")),
            claim("c", exactly("r", "gpu", 1)).build());
    assertThat(devices(outcome)).containsExactly("r=gpu-1");
  }

  @Test
  void letsAdminAccessUseAHeldDevice() {
    var request = exactly("r", "gpu", 1);
    request.getExactly().setAdminAccess(true);
    AllocationOutcome outcome =
        allocate(
            List.of(FOUR_GPUS),
            List.of(holding("other", "node-a", "gpu-0")),
            claim("c", request).build());
    assertThat(devices(outcome)).containsExactly("r=gpu-0");
    var result =
        ((AllocationOutcome.Allocated) outcome).results().get(0).getDevices().getResults().get(0);
    assertThat(result.getAdminAccess()).isTrue();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          device.attributes["gpu.gpudra.dev"].model == "H100"                          | r=gpu-1
          device.attributes["gpu.gpudra.dev"].numa == 1                                | r=gpu-2
          device.capacity["gpu.gpudra.dev"].memory.isGreaterThan(quantity("32Gi"))   | r=gpu-0
          """)
  void appliesRequestSelectors(String selector, String expected) {
    assertThat(
            devices(
                allocate(
                    List.of(FOUR_GPUS),
                    List.of(),
                    claim("c", exactly("r", "gpu", 1, selector)).build())))
        .containsExactly(expected);
  }

  @Test
  void backtracksAcrossRequestsToSatisfyMatchAttribute() {
    // First fit puts gpu-0 (numa 0) into "a"; "b" wants an H100 on numa 1, so "a" must move to
    // the other numa 1 device, gpu-2.
    DeviceConstraint sameNuma = new DeviceConstraint();
    sameNuma.setMatchAttribute("gpu.gpudra.dev/numa");
    ResourceClaim c =
        claim(
                "c",
                exactly("a", "gpu", 1, "device.attributes[\"gpu.gpudra.dev\"].model == \"A100\""),
                exactly(
                    "b",
                    "gpu",
                    1,
                    "device.attributes[\"gpu.gpudra.dev\"].model == \"H100\"",
                    "device.attributes[\"gpu.gpudra.dev\"].numa == 1"))
            .editSpec()
            .editDevices()
            .withConstraints(sameNuma)
            .endDevices()
            .endSpec()
            .build();
    assertThat(devices(allocate(List.of(FOUR_GPUS), List.of(), c)))
        .containsExactly("a=gpu-2", "b=gpu-3");
  }

  @Test
  void distinctAttributeSpreadsDevicesOverValues() {
    DeviceConstraint distinctNuma = new DeviceConstraint();
    distinctNuma.setDistinctAttribute("gpu.gpudra.dev/numa");
    ResourceClaim c =
        claim("c", exactly("r", "gpu", 2))
            .editSpec()
            .editDevices()
            .withConstraints(distinctNuma)
            .endDevices()
            .endSpec()
            .build();
    assertThat(devices(allocate(List.of(FOUR_GPUS), List.of(), c)))
        .containsExactly("r=gpu-0", "r=gpu-2");
  }

  @Test
  void firstAvailableFallsBackToTheNextSubRequest() {
    ResourceClaim c =
        claim(
                "c",
                firstAvailable(
                    "r",
                    sub(
                        "b200",
                        "gpu",
                        1,
                        "device.attributes[\"gpu.gpudra.dev\"].model == \"B200\""),
                    sub(
                        "h100",
                        "gpu",
                        2,
                        "device.attributes[\"gpu.gpudra.dev\"].model == \"H100\"")))
            .build();
    assertThat(devices(allocate(List.of(FOUR_GPUS), List.of(), c)))
        .containsExactly("r/h100=gpu-1", "r/h100=gpu-3");
  }

  @Test
  void allModeTakesEveryMatchingDeviceOrNone() {
    ResourceClaim c =
        claim("c", all("r", "gpu", "device.attributes[\"gpu.gpudra.dev\"].model == \"A100\""))
            .build();
    assertThat(devices(allocate(List.of(FOUR_GPUS), List.of(), c)))
        .containsExactly("r=gpu-0", "r=gpu-2");
    assertThat(allocate(List.of(FOUR_GPUS), List.of(holding("o", "node-a", "gpu-2")), c))
        .isInstanceOf(AllocationOutcome.Unsatisfiable.class);
  }

  @Test
  void untoleratedTaintsKeepDevicesOut() {
    Device tainted = gpu("gpu-0", "A100", 0);
    tainted.setTaints(List.of(taint("health", "xid", "NoSchedule")));
    ResourceSlice slice = nodeSlice("s", "node-a", "node-a", tainted, gpu("gpu-1", "A100", 0));
    assertThat(
            devices(
                allocate(List.of(slice), List.of(), claim("c", exactly("r", "gpu", 1)).build())))
        .containsExactly("r=gpu-1");
    var tolerant = exactly("r", "gpu", 1);
    tolerant.getExactly().setTolerations(List.of(toleration("health", "Exists", null, null)));
    assertThat(devices(allocate(List.of(slice), List.of(), claim("c", tolerant).build())))
        .containsExactly("r=gpu-0");
  }

  @Test
  void sharedCountersLimitPartitionsOfOneDevice() {
    Device half0 = device("gpu-0-half-0");
    half0.setConsumesCounters(List.of(consumes("gpu-0", "memory", "20Gi")));
    Device half1 = device("gpu-0-half-1");
    half1.setConsumesCounters(List.of(consumes("gpu-0", "memory", "20Gi")));
    Device whole = device("gpu-0-whole");
    whole.setConsumesCounters(List.of(consumes("gpu-0", "memory", "40Gi")));
    List<ResourceSlice> slices =
        List.of(
            counterSlice(
                "a-counters", "node-a", "node-a", 2, counterSet("gpu-0", "memory", "40Gi")),
            slice("a-devices", "node-a", 1, 2, whole, half0, half1)
                .editSpec()
                .withNodeName("node-a")
                .endSpec()
                .build());
    assertThat(devices(allocate(slices, List.of(), claim("c", exactly("r", "gpu", 2)).build())))
        .containsExactly("r=gpu-0-half-0", "r=gpu-0-half-1");
    assertThat(
            allocate(
                slices,
                List.of(holding("o", "node-a", "gpu-0-half-0")),
                claim("c", exactly("r", "gpu", 2)).build()))
        .isInstanceOf(AllocationOutcome.Unsatisfiable.class);
  }

  @Test
  void ignoresIncompletePoolsAndOlderGenerations() {
    ResourceSlice old =
        slice("old", "node-a", 1, 1, gpu("gpu-old", "A100", 0))
            .editSpec()
            .withNodeName("node-a")
            .endSpec()
            .build();
    ResourceSlice newer =
        slice("new", "node-a", 2, 1, gpu("gpu-new", "A100", 0))
            .editSpec()
            .withNodeName("node-a")
            .endSpec()
            .build();
    assertThat(
            devices(
                allocate(
                    List.of(old, newer), List.of(), claim("c", exactly("r", "gpu", 1)).build())))
        .containsExactly("r=gpu-new");
    ResourceSlice incomplete =
        slice("part", "pool-b", 1, 2, gpu("gpu-b", "A100", 0))
            .editSpec()
            .withNodeName("node-a")
            .endSpec()
            .build();
    assertThat(allocate(List.of(incomplete), List.of(), claim("c", exactly("r", "gpu", 1)).build()))
        .isInstanceOf(AllocationOutcome.Unsatisfiable.class);
    assertThat(allocate(List.of(incomplete), List.of(), claim("c", all("r", "gpu")).build()))
        .isInstanceOfSatisfying(
            AllocationOutcome.Invalid.class,
            i -> assertThat(i.message()).contains("is currently being updated"));
  }

  @Test
  void restrictsTheAllocationToTheNodesTheSliceSelects() {
    ResourceSlice zonal =
        slice("zonal", "zone-a", 1, 1, gpu("gpu-z", "A100", 0))
            .editSpec()
            .withNodeSelector(
                new NodeSelectorBuilder()
                    .addNewNodeSelectorTerm()
                    .addNewMatchExpression()
                    .withKey("zone")
                    .withOperator("In")
                    .withValues("a")
                    .endMatchExpression()
                    .endNodeSelectorTerm()
                    .build())
            .endSpec()
            .build();
    AllocationOutcome outcome =
        allocate(List.of(zonal), List.of(), claim("c", exactly("r", "gpu", 1)).build());
    var selector = ((AllocationOutcome.Allocated) outcome).results().get(0).getNodeSelector();
    assertThat(selector.getNodeSelectorTerms().get(0).getMatchExpressions().get(0).getKey())
        .isEqualTo("zone");
    var local =
        ((AllocationOutcome.Allocated)
                allocate(List.of(FOUR_GPUS), List.of(), claim("c", exactly("r", "gpu", 1)).build()))
            .results()
            .get(0)
            .getNodeSelector();
    assertThat(local.getNodeSelectorTerms().get(0).getMatchFields().get(0).getValues())
        .containsExactly("node-a");
  }

  @Test
  void reportsAMissingClassAsInvalidInput() {
    assertThat(allocate(List.of(FOUR_GPUS), List.of(), claim("c", exactly("r", "nope", 1)).build()))
        .isInstanceOfSatisfying(
            AllocationOutcome.Invalid.class,
            i -> assertThat(i.message()).contains("could not retrieve device class nope"));
  }

  @Test
  void explainsWhyARequestCannotBeSatisfied() {
    AllocationOutcome outcome =
        allocate(
            List.of(FOUR_GPUS),
            List.of(holding("o", "node-a", "gpu-1")),
            claim(
                    "c",
                    exactly(
                        "r", "gpu", 2, "device.attributes[\"gpu.gpudra.dev\"].model == \"H100\""))
                .build());
    assertThat(outcome).isInstanceOf(AllocationOutcome.Unsatisfiable.class);
    RequestDiagnosis d = ((AllocationOutcome.Unsatisfiable) outcome).reasons().get(0);
    assertThat(d.request()).isEqualTo("r");
    assertThat(d.reasons())
        .containsExactly(
            new UnsatisfiableReason.SelectorFalse(2),
            new UnsatisfiableReason.MatchingDevicesAllocated(1),
            new UnsatisfiableReason.NotEnoughDevices(2, 1));
  }

  @Test
  void explainsThatNoSliceServesTheNode() {
    AllocationOutcome outcome =
        allocate(List.of(), List.of(), claim("c", exactly("r", "gpu", 1)).build());
    assertThat(((AllocationOutcome.Unsatisfiable) outcome).reasons().get(0).reasons())
        .containsExactly(new UnsatisfiableReason.NoSlicesForNode("node-a"));
  }

  @Test
  void stopsWithAClearErrorWhenTheStepBudgetIsSpent() {
    DeviceConstraint impossible = new DeviceConstraint();
    impossible.setDistinctAttribute("gpu.gpudra.dev/model");
    ResourceClaim c =
        claim("c", exactly("r", "gpu", 3))
            .editSpec()
            .editDevices()
            .withConstraints(impossible)
            .endDevices()
            .endSpec()
            .build();
    AllocationOutcome outcome =
        new Allocator(List.of(FOUR_GPUS), List.of(GPU), List.of(), CEL)
            .allocate(NODE, List.of(c), AllocationBudget.steps(5));
    assertThat(outcome)
        .isInstanceOfSatisfying(
            AllocationOutcome.BudgetExceeded.class,
            b -> assertThat(b.message()).contains("5 search steps"));
  }

  @Test
  void sharesADeviceThatAllowsMultipleAllocationsUntilItsCapacityIsUsed() {
    Device nic = device("nic-0");
    nic.setAllowMultipleAllocations(true);
    DeviceCapacity bandwidth = new DeviceCapacity();
    bandwidth.setValue(new Quantity("100"));
    nic.setCapacity(Map.of("bandwidth", bandwidth));
    ResourceSlice slice = nodeSlice("nics", "node-a", "node-a", nic);
    Function<String, ResourceClaim> asking =
        name -> {
          var r = exactly("r", "gpu", 1);
          var capacity = new CapacityRequirements();
          capacity.setRequests(Map.of("bandwidth", new Quantity("40")));
          r.getExactly().setCapacity(capacity);
          return claim(name, r).build();
        };
    AllocationOutcome two =
        allocate(List.of(slice), List.of(), asking.apply("a"), asking.apply("b"));
    assertThat(devices(two)).containsExactly("r=nic-0", "r=nic-0");
    var first =
        ((AllocationOutcome.Allocated) two).results().get(0).getDevices().getResults().get(0);
    assertThat(first.getShareID()).isNotBlank();
    assertThat(first.getConsumedCapacity()).containsEntry("bandwidth", new Quantity("40"));
    assertThat(
            allocate(
                List.of(slice), List.of(), asking.apply("a"), asking.apply("b"), asking.apply("c")))
        .isInstanceOf(AllocationOutcome.Unsatisfiable.class);
  }

  @Test
  void givesTheSameAnswersWhenNodesAreAllocatedConcurrently() throws Exception {
    List<ResourceSlice> slices = new ArrayList<>();
    for (int n = 0; n < 16; n++) {
      slices.add(
          nodeSlice(
              "n" + n, "node-" + n, "node-" + n, gpu("gpu-0", "A100", 0), gpu("gpu-1", "H100", 1)));
    }
    Allocator allocator = new Allocator(slices, List.of(GPU), List.of(), CEL);
    ResourceClaim c =
        claim("c", exactly("r", "gpu", 1, "device.attributes[\"gpu.gpudra.dev\"].numa == 1"))
            .build();
    List<String> sequential = new ArrayList<>();
    for (int n = 0; n < 16; n++) {
      sequential.add(
          devices(allocator.allocate(node("node-" + n), List.of(c), AllocationBudget.DEFAULT))
              .toString());
    }
    try (var pool = Executors.newFixedThreadPool(8)) {
      List<Future<String>> futures = new ArrayList<>();
      for (int round = 0; round < 20; round++) {
        for (int n = 0; n < 16; n++) {
          String name = "node-" + n;
          futures.add(
              pool.submit(
                  () ->
                      devices(
                              new Allocator(slices, List.of(GPU), List.of(), CEL)
                                  .allocate(node(name), List.of(c), AllocationBudget.DEFAULT))
                          .toString()));
          futures.add(
              pool.submit(
                  () ->
                      devices(allocator.allocate(node(name), List.of(c), AllocationBudget.DEFAULT))
                          .toString()));
        }
      }
      for (int i = 0; i < futures.size(); i++) {
        assertThat(futures.get(i).get()).isEqualTo(sequential.get((i / 2) % 16));
      }
    }
  }

  @Test
  void allocatesSeveralClaimsWithoutSharingDevices() {
    AllocationOutcome outcome =
        allocate(
            List.of(FOUR_GPUS),
            List.of(),
            claim("c1", exactly("r", "gpu", 3)).build(),
            claim("c2", exactly("r", "gpu", 1)).build());
    List<List<String>> perClaim =
        ((AllocationOutcome.Allocated) outcome)
            .results().stream()
                .map(
                    r ->
                        r.getDevices().getResults().stream()
                            .map(DeviceRequestAllocationResult::getDevice)
                            .toList())
                .toList();
    assertThat(perClaim).containsExactly(List.of("gpu-0", "gpu-1", "gpu-2"), List.of("gpu-3"));
  }
}
