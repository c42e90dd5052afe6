package dev.gpudra.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CheckpointCodecTest {

  private static final Path GOLDEN = Path.of("src/test/resources/golden/checkpoint-v1.txt");
  private static final Path GOLDEN_DYNAMIC_MIG =
      Path.of("src/test/resources/golden/checkpoint-v1-dynamic-mig.txt");
  private static final String GPU2 = "GPU-2a0e2b6c-0000-4000-8000-000000000002";

  /** Two dynamic MIG devices: one created and recorded, one planned before creation. */
  static Checkpoint dynamicMigSample() {
    CheckpointedDevice created =
        new CheckpointedDevice(
            List.of("mig"),
            "node-a",
            "gpu-2-mig-1g10gb-19-3",
            List.of(
                "k8s.gpu.gpudra.dev/claim=11111111-0000-4000-8000-000000000001-gpu-2-mig-1g10gb-19-3"),
            false,
            "Exclusive",
            DynamicMig.planned(GPU2, 19, 3, 1)
                .withInstance(
                    new MigInstanceIds(1, 0, "MIG-6c8f0e2a-0000-4000-8000-0000000000c1")));
    CheckpointedDevice planned =
        new CheckpointedDevice(
            List.of("mig"),
            "node-a",
            "gpu-2-mig-3g40gb-9-4",
            List.of(
                "k8s.gpu.gpudra.dev/claim=22222222-0000-4000-8000-000000000002-gpu-2-mig-3g40gb-9-4"),
            false,
            "Exclusive",
            DynamicMig.planned(GPU2, 9, 4, 4));
    return new Checkpoint(
        "5f0e8c1b-3d2a-4b6c-9e8f-7a6b5c4d3e2f",
        Map.of(
            "11111111-0000-4000-8000-000000000001",
            new PreparedClaim(
                "11111111-0000-4000-8000-000000000001",
                "ml",
                "small",
                ClaimState.PREPARE_COMPLETED,
                List.of(created)),
            "22222222-0000-4000-8000-000000000002",
            new PreparedClaim(
                "22222222-0000-4000-8000-000000000002",
                "ml",
                "medium",
                ClaimState.PREPARE_STARTED,
                List.of(planned))));
  }

  static Checkpoint sample() {
    CheckpointedDevice gpu0 =
        new CheckpointedDevice(
            List.of("gpu"),
            "node-a",
            "gpu-0",
            List.of("k8s.gpu.gpudra.dev/claim=8d5b9f7e-0c1a-4a63-9d7e-2f3b4c5d6e7f-gpu-0"),
            false,
            "Exclusive");
    CheckpointedDevice mig =
        new CheckpointedDevice(
            List.of("small/mig"),
            "node-a",
            "gpu-1-mig-1g10gb-19-0",
            List.of(
                "k8s.gpu.gpudra.dev/claim=0a1b2c3d-0000-4000-8000-000000000001-gpu-1-mig-1g10gb-19-0"),
            true,
            "Exclusive");
    return new Checkpoint(
        "5f0e8c1b-3d2a-4b6c-9e8f-7a6b5c4d3e2f",
        Map.of(
            "8d5b9f7e-0c1a-4a63-9d7e-2f3b4c5d6e7f",
            new PreparedClaim(
                "8d5b9f7e-0c1a-4a63-9d7e-2f3b4c5d6e7f",
                "ml",
                "train-gpu",
                ClaimState.PREPARE_COMPLETED,
                List.of(gpu0)),
            "0a1b2c3d-0000-4000-8000-000000000001",
            new PreparedClaim(
                "0a1b2c3d-0000-4000-8000-000000000001",
                "ops",
                "debug-mig",
                ClaimState.PREPARE_STARTED,
                List.of(mig))));
  }

  @Test
  void encodesToTheGoldenFileAndBack() throws Exception {
    byte[] encoded = CheckpointCodec.encode(sample());
    if (Boolean.getBoolean("gpudra.updateGolden")) {
      Files.write(GOLDEN, encoded);
    }

    assertThat(new String(encoded, StandardCharsets.UTF_8))
        .isEqualTo(Files.readString(GOLDEN, StandardCharsets.UTF_8));
    assertThat(CheckpointCodec.decode(Files.readAllBytes(GOLDEN))).isEqualTo(sample());
  }

  @Test
  void encodesDynamicMigDevicesToTheirGoldenFileAndBack() throws Exception {
    byte[] encoded = CheckpointCodec.encode(dynamicMigSample());
    if (Boolean.getBoolean("gpudra.updateGolden")) {
      Files.write(GOLDEN_DYNAMIC_MIG, encoded);
    }

    assertThat(new String(encoded, StandardCharsets.UTF_8))
        .isEqualTo(Files.readString(GOLDEN_DYNAMIC_MIG, StandardCharsets.UTF_8));
    assertThat(CheckpointCodec.decode(Files.readAllBytes(GOLDEN_DYNAMIC_MIG)))
        .isEqualTo(dynamicMigSample());
  }

  @Test
  void writesNoDynamicMigFieldForDevicesThePluginDoesNotCreate() {
    String encoded = new String(CheckpointCodec.encode(sample()), StandardCharsets.UTF_8);

    assertThat(encoded).doesNotContain("dynamicMig").doesNotContain("null");
  }

  @Test
  void roundTripsAnEmptyCheckpoint() throws Exception {
    Checkpoint empty = Checkpoint.empty("b");
    assertThat(CheckpointCodec.decode(CheckpointCodec.encode(empty))).isEqualTo(empty);
  }

  @Test
  void rejectsAnEmptyFile() {
    assertThatThrownBy(() -> CheckpointCodec.decode(new byte[0]))
        .isInstanceOf(CorruptCheckpointException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void rejectsEveryTruncation() throws IOException {
    byte[] full = Files.readAllBytes(GOLDEN);
    IntStream.range(1, full.length)
        .forEach(
            n ->
                assertThatThrownBy(() -> CheckpointCodec.decode(Arrays.copyOf(full, n)))
                    .as("truncated to %d bytes", n)
                    .isInstanceOf(CorruptCheckpointException.class)
                    .hasMessageContaining("truncated"));
  }

  @Test
  void rejectsEverySingleBitFlip() throws IOException {
    byte[] full = Files.readAllBytes(GOLDEN);
    for (int i = 0; i < full.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] flipped = full.clone();
        flipped[i] ^= (byte) (1 << bit);
        int at = i;
        int b = bit;
        assertThatThrownBy(() -> CheckpointCodec.decode(flipped))
            .as("bit %d of byte %d flipped", b, at)
            .isInstanceOf(CorruptCheckpointException.class);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 2, 17})
  void rejectsOtherVersionsSayingWhich(int version) throws IOException {
    String golden = Files.readString(GOLDEN, StandardCharsets.UTF_8);
    byte[] other =
        golden
            .replaceFirst("GPUDRA-CHECKPOINT 1 ", "GPUDRA-CHECKPOINT " + version + " ")
            .getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> CheckpointCodec.decode(other))
        .isInstanceOf(CorruptCheckpointException.class)
        .hasMessageContaining("version " + version)
        .hasMessageContaining("reads version 1");
  }

  @Test
  void rejectsABodyWithUnknownFieldsEvenWithAValidChecksum() {
    byte[] body = "{\"bootId\":\"b\",\"claims\":[],\"extra\":1}".getBytes(StandardCharsets.UTF_8);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(body);
    String header =
        String.format(
            java.util.Locale.ROOT,
            "GPUDRA-CHECKPOINT 1 crc32c=%08x length=%d\n",
            crc.getValue(),
            body.length);
    byte[] bytes =
        (header + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> CheckpointCodec.decode(bytes))
        .isInstanceOf(CorruptCheckpointException.class)
        .hasMessageContaining("body is invalid");
  }

  @Test
  void exclusiveDevicesConflictUnlessAdminAccessOrBothShared() {
    Checkpoint cp = sample();
    CheckpointedDevice again =
        new CheckpointedDevice(List.of("r"), "node-a", "gpu-0", List.of(), false, "Exclusive");
    CheckpointedDevice admin =
        new CheckpointedDevice(List.of("r"), "node-a", "gpu-0", List.of(), true, "Exclusive");
    CheckpointedDevice otherPool =
        new CheckpointedDevice(List.of("r"), "node-b", "gpu-0", List.of(), false, "Exclusive");

    assertThat(cp.conflicts("new-uid", List.of(again)))
        .containsExactly(
            "gpu-0 is held by claim ml/train-gpu (8d5b9f7e-0c1a-4a63-9d7e-2f3b4c5d6e7f)");
    assertThat(cp.conflicts("new-uid", List.of(admin))).isEmpty();
    assertThat(cp.conflicts("new-uid", List.of(otherPool))).isEmpty();
    assertThat(cp.conflicts("8d5b9f7e-0c1a-4a63-9d7e-2f3b4c5d6e7f", List.of(again))).isEmpty();
  }

  @Test
  void aMigDeviceThePluginCreatesExcludesEveryOtherClaimEvenAdminAccessAndSharing() {
    Checkpoint cp = dynamicMigSample();
    String name = "gpu-2-mig-1g10gb-19-3";
    CheckpointedDevice admin =
        new CheckpointedDevice(List.of("r"), "node-a", name, List.of(), true, "Exclusive");
    CheckpointedDevice shared =
        new CheckpointedDevice(List.of("r"), "node-a", name, List.of(), false, "TimeSlicing");

    assertThat(cp.conflicts("new-uid", List.of(admin)))
        .containsExactly(
            name + " is held by claim ml/small (11111111-0000-4000-8000-000000000001)");
    assertThat(cp.conflicts("new-uid", List.of(shared))).hasSize(1);
  }
}
