package dev.gpudra.core.slice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.NodeInventory;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The slices published for each mock node profile (inventories under {@code
 * src/test/resources/inventories}, kept equal to real discovery by nvml-jna's {@code
 * MockInventoryFixturesIT}), with and without dynamic MIG. A change to names, attributes,
 * capacities, counters or splitting shows up here as a diff. Rewrite with {@code
 * -Dgpudra.updateGolden=true} after a deliberate change.
 */
class ResourceSliceGoldenTest {

  private static final Path INVENTORIES = Path.of("src", "test", "resources", "inventories");
  private static final Path GOLDEN = Path.of("src", "test", "resources", "golden-slices");
  private static final JsonMapper JSON =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  static Stream<Arguments> cases() {
    return Stream.of("a100-8x", "h100-8x", "l4-1x", "mixed")
        .flatMap(profile -> Stream.of(Arguments.of(profile, false), Arguments.of(profile, true)));
  }

  @ParameterizedTest(name = "{0} dynamicMig={1}")
  @MethodSource("cases")
  void slicesMatchTheGoldenFileAndTheApiLimits(String profile, boolean dynamicMig)
      throws IOException {
    NodeInventory inventory =
        JSON.readValue(
            Files.readString(INVENTORIES.resolve(profile + ".json")), NodeInventory.class);

    List<ResourceSliceSpec> slices =
        ResourceSliceMapper.map(
            inventory, new SliceMappingOptions("gpu.gpudra.dev", "node-" + profile, dynamicMig));

    for (ResourceSliceSpec slice : slices) {
      boolean counters = slices.stream().anyMatch(s -> !s.getSharedCounters().isEmpty());
      assertThat(slice.getDevices())
          .hasSizeLessThanOrEqualTo(
              counters ? SliceLimits.MAX_DEVICES_WITH_ADVANCED_FEATURES : SliceLimits.MAX_DEVICES);
      assertThat(slice.getSharedCounters()).hasSizeLessThanOrEqualTo(SliceLimits.MAX_COUNTER_SETS);
      assertThat(slice.getDevices().isEmpty() || slice.getSharedCounters().isEmpty()).isTrue();
      assertThat(slice.getPool().getResourceSliceCount()).isEqualTo((long) slices.size());
      for (Device device : slice.getDevices()) {
        assertThat(device.getAttributes().size() + device.getCapacity().size())
            .isLessThanOrEqualTo(SliceLimits.MAX_ATTRIBUTES_AND_CAPACITIES);
      }
    }
    String actual = JSON.writeValueAsString(slices) + "\n";
    Path golden = GOLDEN.resolve(profile + (dynamicMig ? "-dynamic-mig" : "-static") + ".json");
    if (Boolean.getBoolean("gpudra.updateGolden")) {
      Files.createDirectories(GOLDEN);
      Files.writeString(golden, actual);
    }
    assertThat(golden).exists();
    assertThat(JSON.readTree(actual)).isEqualTo(JSON.readTree(Files.readString(golden)));
  }
}
