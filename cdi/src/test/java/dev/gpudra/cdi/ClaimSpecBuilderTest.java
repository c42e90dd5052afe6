package dev.gpudra.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.cdi.spec.CdiDevice;
import dev.gpudra.cdi.spec.CdiJson;
import dev.gpudra.cdi.spec.ContainerEdits;
import dev.gpudra.cdi.spec.DeviceNode;
import dev.gpudra.cdi.spec.DeviceType;
import dev.gpudra.cdi.spec.Mount;
import dev.gpudra.core.config.TimeSliceInterval;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ClaimSpecBuilderTest {
  private final ClaimSpecBuilder builder = Fixtures.builder();

  static Stream<Arguments> goldenClaims() {
    return Stream.of(
        Arguments.of("a100-full-gpu.json", Fixtures.A100_FULL_CLAIM, List.of(Fixtures.a100Full())),
        Arguments.of(
            "a100-mig-1g10gb.json", Fixtures.A100_MIG_CLAIM, List.of(Fixtures.a100Mig1g10gb())),
        Arguments.of("h100-pair-mps.json", Fixtures.H100_PAIR_CLAIM, Fixtures.h100Pair()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenClaims")
  void claimSpecMatchesGoldenFile(String golden, String claimUid, List<PreparedDevice> devices) {
    ClaimSpec spec = builder.build(claimUid, devices);

    GoldenFiles.assertMatches(
        golden, new String(CdiJson.encode(spec.spec()), StandardCharsets.UTF_8));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenClaims")
  void goldenSpecReadsBackToTheSameSpec(
      String golden, String claimUid, List<PreparedDevice> devices) {
    ClaimSpec spec = builder.build(claimUid, devices);

    assertThat(CdiJson.decode(CdiJson.encode(spec.spec()))).isEqualTo(spec.spec());
  }

  @Test
  void namesEachDeviceAfterClaimAndPublishedNameAndReturnsItsQualifiedId() {
    ClaimSpec spec = builder.build(Fixtures.H100_PAIR_CLAIM, Fixtures.h100Pair());

    assertThat(spec.spec().kind()).isEqualTo("k8s.gpu.gpudra.dev/claim");
    assertThat(spec.spec().devices())
        .extracting(CdiDevice::name)
        .containsExactly(Fixtures.H100_PAIR_CLAIM + "-gpu-0", Fixtures.H100_PAIR_CLAIM + "-gpu-1");
    assertThat(spec.cdiIds())
        .containsExactly(
            "k8s.gpu.gpudra.dev/claim=" + Fixtures.H100_PAIR_CLAIM + "-gpu-0",
            "k8s.gpu.gpudra.dev/claim=" + Fixtures.H100_PAIR_CLAIM + "-gpu-1");
    assertThat(spec.fileName())
        .isEqualTo("k8s.gpu.gpudra.dev-claim_" + Fixtures.H100_PAIR_CLAIM + ".json");
  }

  @Test
  void fullGpuGetsItsOwnNodeWithTheNvidiaMajor() {
    ClaimSpec spec = builder.build(Fixtures.A100_FULL_CLAIM, List.of(Fixtures.a100Full()));

    assertThat(spec.spec().devices().getFirst().containerEdits().deviceNodes())
        .containsExactly(DeviceNode.charDevice("/dev/nvidia0", 195, 0));
  }

  @Test
  void migDeviceGetsParentNodeAndTheCapabilityNodesOfItsGpuAndComputeInstance() {
    ClaimSpec spec = builder.build(Fixtures.A100_MIG_CLAIM, List.of(Fixtures.a100Mig1g10gb()));

    // gpu0/gi7/access and gpu0/gi7/ci0/access in the driver's numbering: 3 + 7 * 9 and one more.
    assertThat(spec.spec().devices().getFirst().containerEdits().deviceNodes())
        .containsExactly(
            DeviceNode.charDevice("/dev/nvidia0", 195, 0),
            DeviceNode.charDevice("/dev/nvidia-caps/nvidia-cap66", 511, 66),
            DeviceNode.charDevice("/dev/nvidia-caps/nvidia-cap67", 511, 67));
    assertThat(spec.spec().devices().getFirst().containerEdits().env())
        .contains(
            "GPUDRA_DEVICE_GPU_0_MIG_1G10GB_19_0_UUID=" + Fixtures.A100_MIG_UUID,
            "GPUDRA_DEVICE_GPU_0_MIG_1G10GB_19_0_PARENT_UUID=" + Fixtures.A100_UUID);
  }

  @Test
  void commonEditsSitAtSpecLevelSoEveryDeviceBringsThem() {
    ContainerEdits common =
        new CommonEditsBuilder(CommonEditsBuilder.DEFAULT_HOOK_PATH)
            .build(Fixtures.nodeFiles(), Fixtures.MAJORS);

    ClaimSpec spec = builder.build(Fixtures.A100_FULL_CLAIM, List.of(Fixtures.a100Full()));

    assertThat(spec.spec().containerEdits()).isEqualTo(common);
  }

  static Stream<Arguments> minimumVersions() {
    return Stream.of(
        Arguments.of("UID starting with a digit", Fixtures.A100_FULL_CLAIM, "0.5.0"),
        Arguments.of("UID starting with a letter", Fixtures.A100_MIG_CLAIM, "0.3.0"));
  }

  @ParameterizedTest(name = "{0} needs CDI {2}")
  @MethodSource("minimumVersions")
  void writesTheLowestCdiVersionTheNamesAllow(String why, String claimUid, String version) {
    ClaimSpec spec = builder.build(claimUid, List.of(Fixtures.a100Full()));

    assertThat(spec.spec().cdiVersion()).isEqualTo(version);
  }

  static Stream<Arguments> sharingEnvironment() {
    return Stream.of(
        Arguments.of(
            Sharing.exclusive(), List.of("GPUDRA_DEVICE_GPU_0_SHARING_STRATEGY=Exclusive")),
        Arguments.of(
            Sharing.timeSlicing(TimeSliceInterval.LONG),
            List.of(
                "GPUDRA_DEVICE_GPU_0_SHARING_STRATEGY=TimeSlicing",
                "GPUDRA_DEVICE_GPU_0_TIMESLICE_INTERVAL=Long")),
        Arguments.of(
            new Sharing.Mps("/run/mps/p", "/run/mps/s", null),
            List.of(
                "GPUDRA_DEVICE_GPU_0_SHARING_STRATEGY=MPS",
                "CUDA_MPS_PIPE_DIRECTORY=/tmp/nvidia-mps")),
        Arguments.of(
            new Sharing.Mps("/run/mps/p", "/run/mps/s", 25),
            List.of(
                "GPUDRA_DEVICE_GPU_0_SHARING_STRATEGY=MPS",
                "CUDA_MPS_PIPE_DIRECTORY=/tmp/nvidia-mps",
                "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=25")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sharingEnvironment")
  void tellsTheWorkloadItsDeviceAndSharing(Sharing sharing, List<String> sharingEnv) {
    ClaimSpec spec =
        builder.build(
            Fixtures.A100_FULL_CLAIM,
            List.of(new PreparedDevice.FullGpu("gpu-0", 0, Fixtures.A100_UUID, sharing)));

    List<String> env = spec.spec().devices().getFirst().containerEdits().env();
    assertThat(env.getFirst()).isEqualTo("GPUDRA_DEVICE_GPU_0_UUID=" + Fixtures.A100_UUID);
    assertThat(env.subList(1, env.size())).containsExactlyElementsOf(sharingEnv);
  }

  @Test
  void mpsMountsTheClaimDaemonsPipeAndShmWhereCudaLooks() {
    ClaimSpec spec =
        builder.build(
            Fixtures.A100_FULL_CLAIM,
            List.of(
                new PreparedDevice.FullGpu(
                    "gpu-0",
                    0,
                    Fixtures.A100_UUID,
                    new Sharing.Mps("/run/mps/p", "/run/mps/s", 10))));

    assertThat(spec.spec().devices().getFirst().containerEdits().mounts())
        .containsExactly(
            Mount.bind("/run/mps/p", "/tmp/nvidia-mps", List.of("rw", "nosuid", "nodev", "bind")),
            Mount.bind("/run/mps/s", "/dev/shm", List.of("rw", "nosuid", "nodev", "bind")));
  }

  @Test
  void everyNodeIsFullySpecifiedSoNoHostStatIsNeeded() {
    ClaimSpec spec = builder.build(Fixtures.A100_MIG_CLAIM, List.of(Fixtures.a100Mig1g10gb()));

    Stream.concat(
            spec.spec().containerEdits().deviceNodes().stream(),
            spec.spec().devices().stream().flatMap(d -> d.containerEdits().deviceNodes().stream()))
        .forEach(
            n -> {
              assertThat(n.type()).isEqualTo(DeviceType.CHAR);
              assertThat(n.major()).isPositive();
              assertThat(n.minor()).isNotNull();
            });
  }

  static Stream<Arguments> rejectedClaims() {
    PreparedDevice gpu0 = Fixtures.a100Full();
    return Stream.of(
        Arguments.of("UID with a slash", "../../etc/passwd", List.of(gpu0), "invalid claim UID"),
        Arguments.of("UID not a UUID", "claim-1", List.of(gpu0), "invalid claim UID"),
        Arguments.of("no devices", Fixtures.A100_FULL_CLAIM, List.of(), "no devices"),
        Arguments.of(
            "same device twice", Fixtures.A100_FULL_CLAIM, List.of(gpu0, gpu0), "listed twice"),
        Arguments.of(
            "same UUID under two names",
            Fixtures.A100_FULL_CLAIM,
            List.of(
                gpu0,
                new PreparedDevice.FullGpu("gpu-1", 1, Fixtures.A100_UUID, Sharing.exclusive())),
            "UUID " + Fixtures.A100_UUID + " listed twice"),
        Arguments.of(
            "two MPS daemons in one claim",
            Fixtures.A100_FULL_CLAIM,
            List.of(
                new PreparedDevice.FullGpu(
                    "gpu-0", 0, Fixtures.H100_UUID_0, new Sharing.Mps("/a", "/b", null)),
                new PreparedDevice.FullGpu(
                    "gpu-1", 1, Fixtures.H100_UUID_1, new Sharing.Mps("/c", "/d", null))),
            "one daemon"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejectedClaims")
  void rejectsBadClaimsWithAClearError(
      String why, String claimUid, List<PreparedDevice> devices, String message) {
    assertThatThrownBy(() -> builder.build(claimUid, devices))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void refusesMigDevicesOnANodeWithoutCapabilityDevices() {
    ClaimSpecBuilder noCaps =
        new ClaimSpecBuilder(new DeviceMajors(195, 508, 0), ContainerEdits.NONE);

    assertThatThrownBy(
            () -> noCaps.build(Fixtures.A100_MIG_CLAIM, List.of(Fixtures.a100Mig1g10gb())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without nvidia-caps");
  }

  @Test
  void buildingTwiceGivesTheSameBytes() {
    byte[] first =
        CdiJson.encode(builder.build(Fixtures.H100_PAIR_CLAIM, Fixtures.h100Pair()).spec());
    byte[] second =
        CdiJson.encode(builder.build(Fixtures.H100_PAIR_CLAIM, Fixtures.h100Pair()).spec());

    assertThat(second).isEqualTo(first);
  }
}
