package dev.gpudra.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.config.TimeSliceInterval;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GpuSettingConflictsTest {

  private static final String GPU = "GPU-2a0e2b6c-0000-4000-8000-000000000007";
  private static final String OTHER_GPU = "GPU-2a0e2b6c-0000-4000-8000-000000000006";

  private static CheckpointedDevice sliced(String device, String gpu, TimeSliceInterval interval) {
    return new CheckpointedDevice(List.of("gpu"), "node-a", device, List.of(), false, "TimeSlicing")
        .withTimeSlice(TimeSlice.of(gpu, interval));
  }

  private static Checkpoint holding(CheckpointedDevice device) {
    return new Checkpoint(
        "boot",
        Map.of(
            "uid-a",
            new PreparedClaim(
                "uid-a", "agents", "holder", ClaimState.PREPARE_COMPLETED, List.of(device))));
  }

  @Test
  void anotherIntervalOnTheSameGpuIsRefusedNamingBothIntervalsAndTheHolder() {
    Checkpoint cp = holding(sliced("gpu-7", GPU, TimeSliceInterval.SHORT));

    List<String> conflicts =
        GpuSettingConflicts.of(cp, "uid-b", List.of(sliced("gpu-7", GPU, TimeSliceInterval.LONG)));

    assertThat(conflicts)
        .singleElement()
        .asString()
        .contains("device gpu-7 asks time-slice interval Long")
        .contains("GPU " + GPU + " runs interval Short for claim agents/holder (uid-a)");
  }

  @Test
  void theSameIntervalAnotherGpuOrTheClaimItselfAreNoConflict() {
    Checkpoint cp = holding(sliced("gpu-7", GPU, TimeSliceInterval.SHORT));

    assertThat(
            GpuSettingConflicts.of(
                cp, "uid-b", List.of(sliced("gpu-7", GPU, TimeSliceInterval.SHORT))))
        .isEmpty();
    assertThat(
            GpuSettingConflicts.of(
                cp, "uid-b", List.of(sliced("gpu-6", OTHER_GPU, TimeSliceInterval.LONG))))
        .isEmpty();
    assertThat(
            GpuSettingConflicts.of(
                cp, "uid-a", List.of(sliced("gpu-7", GPU, TimeSliceInterval.LONG))))
        .as("a claim's own earlier attempt is replaced, not conflicting")
        .isEmpty();
  }

  @Test
  void aTimeSliceRecordSurvivesTheCodecAndOldRecordsReadWithoutOne() throws Exception {
    Checkpoint cp = holding(sliced("gpu-7", GPU, TimeSliceInterval.MEDIUM));

    byte[] bytes = CheckpointCodec.encode(cp);

    assertThat(new String(bytes, java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"timeSlice\"")
        .contains("\"interval\" : \"Medium\"");
    assertThat(CheckpointCodec.decode(bytes)).isEqualTo(cp);
    Checkpoint plain = CheckpointCodecTest.sample();
    assertThat(new String(CheckpointCodec.encode(plain), java.nio.charset.StandardCharsets.UTF_8))
        .doesNotContain("timeSlice");
  }

  private static CheckpointedDevice mps(String device, MpsRecord daemon) {
    return new CheckpointedDevice(List.of("gpu"), "node-a", device, List.of(), false, "MPS")
        .withMps(daemon);
  }

  @Test
  void mpsAndTimeSlicingOnOneGpuRefuseEachOtherNamingTheHolder() {
    Checkpoint sliced = holding(sliced("gpu-7", GPU, TimeSliceInterval.SHORT));
    Checkpoint daemon = holding(mps("gpu-7", MpsRecord.clientOf(GPU)));

    assertThat(
            GpuSettingConflicts.of(sliced, "uid-b", List.of(mps("gpu-7", MpsRecord.clientOf(GPU)))))
        .singleElement()
        .asString()
        .contains("device gpu-7 asks for MPS but its GPU " + GPU + " is time-sliced")
        .contains("agents/holder (uid-a)");
    assertThat(
            GpuSettingConflicts.of(
                daemon, "uid-b", List.of(sliced("gpu-7", GPU, TimeSliceInterval.SHORT))))
        .singleElement()
        .asString()
        .contains("asks for time-slicing but its GPU " + GPU + " runs an MPS control daemon");
    assertThat(
            GpuSettingConflicts.of(
                sliced, "uid-b", List.of(mps("gpu-6", MpsRecord.clientOf(OTHER_GPU)))))
        .isEmpty();
  }

  @Test
  void clientsShareADaemonButOtherDaemonDefaultsAreRefused() {
    Checkpoint daemon = holding(mps("gpu-7", new MpsRecord(GPU, 40, 8192L)));

    assertThat(
            GpuSettingConflicts.of(
                daemon, "uid-b", List.of(mps("gpu-7", new MpsRecord(GPU, 40, 8192L)))))
        .isEmpty();
    assertThat(
            GpuSettingConflicts.of(
                daemon, "uid-b", List.of(mps("gpu-7", new MpsRecord(GPU, 50, null)))))
        .singleElement()
        .asString()
        .contains("for defaults (activeThreadPercentage 50, pinnedMemoryLimit unset)")
        .contains("runs with (activeThreadPercentage 40, pinnedMemoryLimit 8192Mi)");
    assertThat(
            GpuSettingConflicts.of(
                holding(mps("gpu-7", MpsRecord.clientOf(GPU))),
                "uid-b",
                List.of(mps("gpu-7", MpsRecord.clientOf(GPU)))))
        .as("two shares' clients of one daemon")
        .isEmpty();
  }

  @Test
  void anMpsRecordSurvivesTheCodec() throws Exception {
    Checkpoint cp = holding(mps("gpu-7", new MpsRecord(GPU, 40, null)));

    byte[] bytes = CheckpointCodec.encode(cp);

    assertThat(new String(bytes, java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"mps\"")
        .doesNotContain("defaultPinnedMemoryLimitMib");
    assertThat(CheckpointCodec.decode(bytes)).isEqualTo(cp);
  }
}
