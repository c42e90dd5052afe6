package dev.gpudra.testkit.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.testkit.nvml.MockProfile.Gpu;
import dev.gpudra.testkit.nvml.MockProfile.GpuInstanceProfile;
import dev.gpudra.testkit.nvml.MockProfile.MigTable;
import dev.gpudra.testkit.nvml.MockProfile.Placement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.FieldSource;

class MockProfileTest {

  @ParameterizedTest(name = "{0}: {1} GPUs, {2} in MIG mode, {3} MIG devices")
  @CsvSource({
    "a100-8x, 8, 3, 8",
    "h100-8x, 8, 2, 2",
    "l4-1x,   1, 0, 0",
    "mixed,   5, 2, 2",
  })
  void builtInProfilesDescribeTheirNodes(String name, int gpus, int migEnabled, int migDevices)
      throws IOException {
    MockProfile profile = MockNvml.load(name);

    assertThat(profile.name()).isEqualTo(name);
    assertThat(profile.gpus()).hasSize(gpus);
    assertThat(profile.gpus().stream().filter(Gpu::migEnabled)).hasSize(migEnabled);
    assertThat(profile.initialMigDeviceCount()).isEqualTo(migDevices);
    assertThat(profile.driverVersion()).isEqualTo("550.54.15");
    assertThat(profile.cudaDriverVersion()).isEqualTo(12040);
    assertThat(profile.faults().initError()).isEmpty();
  }

  static final List<String> profiles = MockNvml.BUILT_IN_PROFILES;

  @ParameterizedTest
  @FieldSource("profiles")
  void everyGpuHasItsOwnIdentity(String name) throws IOException {
    List<Gpu> gpus = MockNvml.load(name).gpus();

    assertThat(gpus)
        .extracting(Gpu::index)
        .containsExactlyElementsOf(IntStream.range(0, gpus.size()).boxed().toList());
    assertThat(gpus).extracting(Gpu::uuid).doesNotHaveDuplicates();
    assertThat(gpus).extracting(Gpu::minor).doesNotHaveDuplicates();
    assertThat(gpus)
        .extracting(g -> g.pci().busId())
        .doesNotHaveDuplicates()
        .allMatch(id -> id.matches("0{8}:[0-9A-F]{2}:[0-9A-F]{2}\\.0"));
    assertThat(gpus).allSatisfy(g -> assertThat(g.pciDeviceId() & 0xffff).isEqualTo(0x10de));
  }

  @ParameterizedTest
  @FieldSource("profiles")
  void migPlacementsStayWithinTheGpuAndInstancesDoNotOverlap(String name) throws IOException {
    for (Gpu gpu : MockNvml.load(name).gpus()) {
      gpu.migTable()
          .ifPresent(
              table -> {
                assertThat(table.profiles())
                    .allSatisfy(
                        p ->
                            assertThat(p.placements())
                                .allSatisfy(
                                    pl ->
                                        assertThat(pl.end())
                                            .isLessThanOrEqualTo(table.memorySlices())));
                var placements = gpu.gpuInstances().stream().map(gi -> gi.placement()).toList();
                for (int i = 0; i < placements.size(); i++) {
                  for (int j = i + 1; j < placements.size(); j++) {
                    assertThat(placements.get(i).overlaps(placements.get(j)))
                        .as("GPU %d instances %d and %d", gpu.index(), i, j)
                        .isFalse();
                  }
                }
                int computeUsed =
                    gpu.gpuInstances().stream().mapToInt(gi -> gi.profile().slices()).sum();
                assertThat(computeUsed).isLessThanOrEqualTo(table.computeSlices());
              });
      if (!gpu.migEnabled()) {
        assertThat(gpu.gpuInstances()).as("GPU %d without MIG mode", gpu.index()).isEmpty();
      }
    }
  }

  /**
   * NVIDIA's MIG user guide tables: name, enum, id, slices, MiB, SMs, CE, DEC, ENC, JPEG, OFA,
   * instances, placements.
   */
  private static final String A100_80GB =
      """
      1g.10gb    0 19 1 9728  14 1 0 0 0 0 7 0:1,1:1,2:1,3:1,4:1,5:1,6:1
      1g.10gb+me 7 20 1 9728  14 1 1 0 1 1 1 0:1,1:1,2:1,3:1,4:1,5:1,6:1
      1g.20gb    9 15 1 19968 14 1 1 0 0 0 4 0:2,2:2,4:2,6:2
      2g.20gb    1 14 2 19968 28 2 1 0 0 0 3 0:2,2:2,4:2
      3g.40gb    2 9  3 40192 42 3 2 0 0 0 2 0:4,4:4
      4g.40gb    3 5  4 40192 56 4 2 0 0 0 1 0:4
      7g.80gb    4 0  7 81152 98 7 5 0 1 1 1 0:8
      """;

  private static final String H100_80GB =
      """
      1g.10gb    0 19 1 9984  16  1 1 0 1 0 7 0:1,1:1,2:1,3:1,4:1,5:1,6:1
      1g.10gb+me 7 20 1 9984  16  1 1 0 1 1 1 0:1,1:1,2:1,3:1,4:1,5:1,6:1
      1g.20gb    9 15 1 20096 26  1 1 0 1 0 4 0:2,2:2,4:2,6:2
      2g.20gb    1 14 2 20096 32  2 2 0 2 0 3 0:2,2:2,4:2
      3g.40gb    2 9  3 40448 60  3 3 0 3 0 2 0:4,4:4
      4g.40gb    3 5  4 40448 64  4 4 0 4 0 1 0:4
      7g.80gb    4 0  7 81152 132 8 7 0 7 1 1 0:8
      """;

  @ParameterizedTest
  @CsvSource({"a100-8x, 0, A100", "h100-8x, 0, H100", "mixed, 0, A100", "mixed, 2, H100"})
  void migTablesMatchNvidiasPublishedFigures(String name, int gpu, String board)
      throws IOException {
    MigTable table = MockNvml.load(name).gpus().get(gpu).migTable().orElseThrow();
    String expected = board.equals("A100") ? A100_80GB : H100_80GB;

    assertThat(table.memorySlices()).isEqualTo(8);
    assertThat(table.computeSlices()).isEqualTo(7);
    assertThat(table.profiles().stream().map(MockProfileTest::row).toList())
        .containsExactlyElementsOf(
            expected.lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList());
  }

  private static String row(GpuInstanceProfile p) {
    String placements =
        String.join(",", p.placements().stream().map(pl -> pl.start() + ":" + pl.size()).toList());
    return String.join(
        " ",
        p.name(),
        "" + p.enumIndex(),
        "" + p.id(),
        "" + p.slices(),
        "" + p.memoryMib(),
        "" + p.multiprocessors(),
        "" + p.copyEngines(),
        "" + p.decoders(),
        "" + p.encoders(),
        "" + p.jpegEngines(),
        "" + p.ofaEngines(),
        "" + p.instances(),
        placements);
  }

  @Test
  void a100NodeMixesPartitionedEmptyAndPendingGpus() throws IOException {
    List<Gpu> gpus = MockNvml.load("a100-8x").gpus();

    assertThat(gpus)
        .allSatisfy(
            g -> {
              assertThat(g.name()).isEqualTo("NVIDIA A100-SXM4-80GB");
              assertThat(g.architecture()).isEqualTo("AMPERE");
              assertThat(g.memoryBytes()).isEqualTo(80L << 30);
            });
    assertThat(gpus.get(0).gpuInstances())
        .extracting(gi -> gi.profile().name())
        .containsExactly("3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb");
    assertThat(gpus.get(2).gpuInstances())
        .singleElement()
        .satisfies(gi -> assertThat(gi.computeInstances()).isEmpty());
    assertThat(gpus.get(3).migEnabled()).isFalse();
    assertThat(gpus.get(3).migPending()).isTrue();
    assertThat(gpus.get(0).pci().busId()).isEqualTo("00000000:07:00.0");
    assertThat(gpus.get(0).pci().busIdLegacy()).isEqualTo("0000:07:00.0");
  }

  @Test
  void profileFileIncludesABuiltInOneOverridesFieldsAndInjectsFaults(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("lab.profile");
    Files.writeString(
        file,
        """
        include l4-1x
        gpu 0
          name NVIDIA L4 (patched)   # spaces belong to the name
          memory-mib 16384
        end
        fault init-error driver_not_loaded
        fault gpu-lost 0
        fault delay nvmlDeviceGetName 250
        """);

    MockProfile profile = MockProfile.load(file, MockNvml.builtInDir());

    assertThat(profile.name()).isEqualTo("lab");
    Gpu gpu = profile.gpus().getFirst();
    assertThat(gpu.name()).isEqualTo("NVIDIA L4 (patched)");
    assertThat(gpu.memoryMib()).isEqualTo(16384);
    assertThat(gpu.computeCapabilityMinor()).isEqualTo(9);
    assertThat(profile.faults().initError()).contains("NVML_ERROR_DRIVER_NOT_LOADED");
    assertThat(profile.faults().lostGpu()).hasValue(0);
    assertThat(profile.faults().delays())
        .containsExactly(new MockProfile.Delay("nvmlDeviceGetName", 250));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      unknown field    | gpu 0\\n  colour green\\nend                          | bad.profile:3: colour: unknown field
      bad number       | gpu 0\\n  memory-mib lots\\nend                       | bad.profile:3: memory-mib: 'lots' is not a number
      overlap          | gpu 4\\n  mig-mode enabled\\n  gpu-instance 1 4g.40gb 0\\n  gpu-instance 2 3g.40gb 0\\nend | bad.profile:5: start: overlaps
      unclosed block   | gpu 0\\n  minor 3                                    | bad.profile:3: end: block not closed
      bad pcie root    | gpu 0\\n  pcie-root pci0000:C0\\nend                 | bad.profile:3: pcie-root: expected pciDDDD:BB in lower-case hex, found 'pci0000:C0'
      bad numa node    | gpu 0\\n  numa-node -2\\nend                         | bad.profile:3: numa-node: expected -1 or a node number, found '-2'
      duplicate minor  | gpu 8\\n  model a100-sxm4-80gb\\n  uuid GPU-00000000-1111-2222-3333-444444444444\\n  pci-bus-id 00000000:01:00.0\\nend | bad.profile:2: minor: GPU 8 has the same minor as GPU 0
      """)
  void malformedProfileNamesFileLineAndField(
      String title, String body, String message, @TempDir Path dir) throws IOException {
    Path file = dir.resolve("bad.profile");
    Files.writeString(file, "include a100-8x\n" + body.replace("\\n", "\n") + "\n");

    assertThatThrownBy(() -> MockProfile.load(file, MockNvml.builtInDir()))
        .as(title)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void envSelectsTheProfileAndAFreshStateFile(@TempDir Path dir) {
    Map<String, String> first = MockNvml.env("mixed", dir);
    Map<String, String> second = MockNvml.env("mixed", dir);

    assertThat(first).containsEntry(MockNvml.PROFILE_ENV, "mixed");
    Path state = Path.of(first.get(MockNvml.STATE_ENV));
    assertThat(state.getParent()).isEqualTo(dir);
    assertThat(state).doesNotExist();
    assertThat(first.get(MockNvml.STATE_ENV)).isNotEqualTo(second.get(MockNvml.STATE_ENV));
    assertThat(MockNvml.library()).isRegularFile();
  }

  @Test
  void placementsOverlapOnlyWhenTheyShareASlice() {
    assertThat(new Placement(0, 4).overlaps(new Placement(4, 4))).isFalse();
    assertThat(new Placement(0, 4).overlaps(new Placement(3, 1))).isTrue();
  }

  @Test
  void applyToThisProcessSetsWhatTheLibraryReadsAtItsNextInit(@TempDir Path dir) {
    Map<String, String> env = MockNvml.env("l4-1x", dir);
    try {
      MockNvml.applyToThisProcess(env);

      assertThat(MockNvml.nativeEnv(MockNvml.PROFILE_ENV)).contains("l4-1x");
      assertThat(MockNvml.nativeEnv(MockNvml.STATE_ENV)).contains(env.get(MockNvml.STATE_ENV));
      assertThat(MockNvml.nativeEnv(MockNvml.FAIL_INIT_ENV)).isEmpty();
    } finally {
      MockNvml.clearFromThisProcess();
    }
    assertThat(MockNvml.nativeEnv(MockNvml.PROFILE_ENV)).isEmpty();
  }
}
