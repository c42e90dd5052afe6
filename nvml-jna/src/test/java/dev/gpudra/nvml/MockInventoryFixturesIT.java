package dev.gpudra.nvml;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.testkit.nvml.FakeSysfs;
import dev.gpudra.testkit.nvml.MockNvml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps the inventories that {@code core}'s slice golden tests start from equal to what discovery
 * really returns for each mock profile on a fresh node with the profile's fake sysfs ({@link
 * FakeSysfs}). Rewrite them with {@code -Dgpudra.updateGolden=true} after a deliberate profile
 * change.
 */
class MockInventoryFixturesIT {

  static final List<String> PROFILES = MockNvml.BUILT_IN_PROFILES;

  private static final Path FIXTURES =
      Path.of("..", "core", "src", "test", "resources", "inventories");
  private static final JsonMapper JSON =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  @TempDir Path stateDir;

  @AfterEach
  void clearMockSettings() {
    MockNvml.clearFromThisProcess();
  }

  @ParameterizedTest
  @FieldSource("PROFILES")
  void coreFixtureIsWhatDiscoveryReturns(String profile) throws IOException {
    Path sysfs = FakeSysfs.create(stateDir.resolve("sys"), MockNvml.load(profile));
    List<String> warnings = new ArrayList<>();
    NodeInventory inventory;
    try (NvmlSession session = MockSession.open(profile, stateDir)) {
      inventory = NvmlDeviceDiscovery.discover(session, new SysfsPciTopology(sysfs, warnings::add));
    }
    assertThat(warnings).isEmpty();
    String actual = JSON.writeValueAsString(inventory) + "\n";
    Path fixture = FIXTURES.resolve(profile + ".json");

    if (Boolean.getBoolean("gpudra.updateGolden")) {
      Files.createDirectories(FIXTURES);
      Files.writeString(fixture, actual);
    }
    assertThat(fixture).as("fixture for %s", profile).exists();
    assertThat(JSON.readTree(Files.readString(fixture))).isEqualTo(JSON.readTree(actual));
  }
}
