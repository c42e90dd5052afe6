package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.junit.ControlPlaneExtension;
import dev.gpudra.e2e.nodes.FakeNodes;
import dev.gpudra.e2e.nodes.MockNodeDiscovery;
import dev.gpudra.plugin.slices.ResourceSlicePublisher;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every mock profile, with static and with dynamic MIG, goes the whole node-side path: JNA
 * discovery against the mock NVML library, {@link ResourceSliceMapper}, {@link
 * ResourceSlicePublisher}, into the real API server, whose validation is the judge. A second
 * publish must write nothing, which holds only if what the server stored (quantities in its
 * canonical form, defaults filled in) compares equal to what the mapper produced.
 */
@ExtendWith(ControlPlaneExtension.class)
class ResourceSlicesOnRealApiServerIT {

  private static final String DRIVER = "gpu.gpudra.dev";

  /** The API server's answer to an object its validation refuses. */
  private static final int UNPROCESSABLE_ENTITY = 422;

  private static final List<String> PROFILES = List.of("a100-8x", "h100-8x", "l4-1x", "mixed");
  private static final ConcurrentHashMap<String, NodeInventory> DISCOVERED =
      new ConcurrentHashMap<>();

  private final ControlPlane plane;
  private final KubernetesClient client;

  ResourceSlicesOnRealApiServerIT(ControlPlane plane) {
    this.plane = plane;
    this.client = plane.client();
  }

  static Stream<Arguments> profilesAndMigModes() {
    return PROFILES.stream().flatMap(p -> Stream.of(Arguments.of(p, false), Arguments.of(p, true)));
  }

  @ParameterizedTest(name = "{0}, dynamic MIG {1}")
  @MethodSource("profilesAndMigModes")
  void everySliceIsAcceptedAndASecondPublishWritesNothing(String profile, boolean dynamicMig) {
    String node = "slices-" + profile + (dynamicMig ? "-dynamic" : "-static");
    FakeNodes.createReady(client, node);
    try {
      NodeInventory inventory = inventory(profile);
      List<ResourceSliceSpec> desired =
          ResourceSliceMapper.map(inventory, new SliceMappingOptions(DRIVER, node, dynamicMig));
      // The API server rejects a slice with duplicate device names, and so would fail the
      // publish below; named here first so that a regression says what it is. (MIG devices that
      // share one GPU instance, as on GPU 0 of "mixed", once got the same name.)
      assertThat(duplicates(deviceNames(desired.stream())))
          .as("device names the mapper gives twice")
          .isEmpty();
      ResourceSlicePublisher publisher = new ResourceSlicePublisher(client, DRIVER, node);

      ResourceSlicePublisher.Outcome first = publisher.publish(desired);
      ResourceSlicePublisher.Outcome second = publisher.publish(desired);

      assertThat(first.created()).isEqualTo(desired.size());
      List<ResourceSlice> stored = storedSlices(node);
      assertThat(stored).hasSize(desired.size());
      assertThat(deviceNames(stored.stream().map(ResourceSlice::getSpec)))
          .containsExactlyInAnyOrderElementsOf(deviceNames(desired.stream()));
      assertThat(stored)
          .allSatisfy(
              s -> {
                assertThat(s.getSpec().getPool().getResourceSliceCount()).isEqualTo(desired.size());
                assertThat(s.getSpec().getPool().getGeneration()).isEqualTo(first.generation());
              });
      assertThat(second.writes()).as("writes of the second publish").isZero();
      System.out.printf(
          "[e2e] %s dynamicMig=%s: %d GPUs -> %d slices, %d devices accepted%n",
          profile,
          dynamicMig,
          inventory.gpus().size(),
          desired.size(),
          deviceNames(desired.stream()).size());
    } finally {
      // Leave no schedulable devices behind for the scheduling scenarios sharing this cluster;
      // the slices go with the node through their owner reference, and explicitly here.
      new ResourceSlicePublisher(client, DRIVER, node).deleteAll();
      client.nodes().withName(node).delete();
    }
  }

  /**
   * Why the mapper must never name a device twice, shown on the real API server: a slice of {@code
   * l4-1x} whose device appears twice is refused, so a mapper regression fails every publish.
   */
  @Test
  void aSliceThatNamesADeviceTwiceIsRefused() {
    String node = "slices-duplicate-name";
    FakeNodes.createReady(client, node);
    try {
      ResourceSliceSpec spec =
          ResourceSliceMapper.map(inventory("l4-1x"), new SliceMappingOptions(DRIVER, node, false))
              .getFirst();
      Device device = spec.getDevices().getFirst();
      ResourceSliceSpec twice = new ResourceSliceSpecBuilder(spec).addToDevices(device).build();
      assertThat(duplicates(deviceNames(Stream.of(twice)))).containsExactly(device.getName());

      assertThatThrownBy(
              () -> new ResourceSlicePublisher(client, DRIVER, node).publish(List.of(twice)))
          .isInstanceOfSatisfying(
              KubernetesClientException.class,
              e -> assertThat(e.getCode()).isEqualTo(UNPROCESSABLE_ENTITY))
          .hasMessageContaining("Duplicate value")
          .hasMessageContaining(device.getName());
      assertThat(storedSlices(node)).isEmpty();
    } finally {
      new ResourceSlicePublisher(client, DRIVER, node).deleteAll();
      client.nodes().withName(node).delete();
    }
  }

  private NodeInventory inventory(String profile) {
    return DISCOVERED.computeIfAbsent(
        profile, p -> MockNodeDiscovery.discover(p, plane.workDir().resolve("mock-nvml")));
  }

  private List<ResourceSlice> storedSlices(String node) {
    return client.dynamicResourceAllocation().v1().resourcesSlices().list().getItems().stream()
        .filter(s -> node.equals(s.getSpec().getNodeName()))
        .toList();
  }

  private static List<String> duplicates(List<String> names) {
    return names.stream()
        .collect(Collectors.groupingBy(n -> n, Collectors.counting()))
        .entrySet()
        .stream()
        .filter(e -> e.getValue() > 1)
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
  }

  private static List<String> deviceNames(Stream<ResourceSliceSpec> specs) {
    return specs
        .map(ResourceSliceSpec::getDevices)
        .filter(Objects::nonNull)
        .flatMap(List::stream)
        .map(Device::getName)
        .toList();
  }
}
