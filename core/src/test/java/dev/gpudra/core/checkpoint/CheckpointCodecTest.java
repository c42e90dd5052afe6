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

  // Files of the current version, and of version 1 (written by earlier plugins, kept as fixtures).
  private static final Path GOLDEN = Path.of("src/test/resources/golden/checkpoint-v2.txt");
  private static final Path GOLDEN_DYNAMIC_MIG =
      Path.of("src/test/resources/golden/checkpoint-v2-dynamic-mig.txt");
  private static final Path GOLDEN_APPENDED =
      Path.of("src/test/resources/golden/checkpoint-v2-appended.txt");
  private static final Path V1 = Path.of("src/test/resources/golden/checkpoint-v1.txt");
  private static final Path V1_DYNAMIC_MIG =
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

  // A claim completed, one removed, then the completed one removed again (a no-op on read).
  private static final List<CheckpointChange> CHANGES =
      List.of(
          new CheckpointChange.Put(
              new PreparedClaim(
                  "33333333-0000-4000-8000-000000000003",
                  "ml",
                  "late",
                  ClaimState.PREPARE_COMPLETED,
                  List.of(
                      new CheckpointedDevice(
                          List.of("gpu"),
                          "node-a",
                          "gpu-5",
                          List.of(
                              "k8s.gpu.gpudra.dev/claim=33333333-0000-4000-8000-000000000003-gpu-5"),
                          false,
                          "Exclusive")))),
          new CheckpointChange.Remove("0a1b2c3d-0000-4000-8000-000000000001"),
          new CheckpointChange.Remove("0a1b2c3d-0000-4000-8000-000000000001"));

  private static byte[] appendedSample() {
    byte[] snapshot = CheckpointCodec.encode(sample());
    byte[] changes = CheckpointCodec.encodeChanges(CHANGES);
    byte[] out = Arrays.copyOf(snapshot, snapshot.length + changes.length);
    System.arraycopy(changes, 0, out, snapshot.length, changes.length);
    return out;
  }

  private static Checkpoint afterChanges() {
    return afterChanges(CHANGES.size());
  }

  private static Checkpoint afterChanges(int count) {
    Checkpoint state = sample();
    for (CheckpointChange change : CHANGES.subList(0, count)) {
      state = change.applyTo(state);
    }
    return state;
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
  void readsEveryCheckpointOfVersion1AsWritten() throws Exception {
    assertThat(CheckpointCodec.decode(Files.readAllBytes(V1))).isEqualTo(sample());
    assertThat(CheckpointCodec.decode(Files.readAllBytes(V1_DYNAMIC_MIG)))
        .isEqualTo(dynamicMigSample());
    assertThat(CheckpointCodec.decodeDetailed(Files.readAllBytes(V1)).version()).isEqualTo(1);
  }

  @Test
  void appendedChangesApplyInOrderAndMatchTheirGoldenFile() throws Exception {
    byte[] encoded = appendedSample();
    if (Boolean.getBoolean("gpudra.updateGolden")) {
      Files.write(GOLDEN_APPENDED, encoded);
    }

    assertThat(new String(encoded, StandardCharsets.UTF_8))
        .isEqualTo(Files.readString(GOLDEN_APPENDED, StandardCharsets.UTF_8));
    DecodedCheckpoint decoded = CheckpointCodec.decodeDetailed(encoded);
    assertThat(decoded.checkpoint()).isEqualTo(afterChanges());
    assertThat(decoded.changes()).isEqualTo(CHANGES.size());
    assertThat(decoded.droppedTailBytes()).isZero();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"checkpoint-v1.txt", "checkpoint-v2.txt", "checkpoint-v2-dynamic-mig.txt"})
  void rejectsEveryTruncationOfTheSnapshot(String file) throws IOException {
    byte[] full = Files.readAllBytes(GOLDEN.resolveSibling(file));
    IntStream.range(1, full.length)
        .forEach(
            n ->
                assertThatThrownBy(() -> CheckpointCodec.decode(Arrays.copyOf(full, n)))
                    .as("truncated to %d bytes", n)
                    .isInstanceOf(CorruptCheckpointException.class)
                    .hasMessageContaining("truncated"));
  }

  @Test
  void anAppendCutShortReadsAsTheChangesBeforeIt() throws Exception {
    byte[] snapshot = CheckpointCodec.encode(sample());
    byte[] full = appendedSample();
    // The file after each whole change, to compare every cut against.
    List<Checkpoint> states = new java.util.ArrayList<>();
    List<Integer> ends = new java.util.ArrayList<>();
    Checkpoint state = sample();
    int end = snapshot.length;
    states.add(state);
    ends.add(end);
    for (CheckpointChange change : CHANGES) {
      state = change.applyTo(state);
      end += CheckpointCodec.encodeChanges(List.of(change)).length;
      states.add(state);
      ends.add(end);
    }
    for (int n = snapshot.length; n <= full.length; n++) {
      int whole = 0;
      while (whole + 1 < ends.size() && ends.get(whole + 1) <= n) {
        whole++;
      }
      DecodedCheckpoint decoded = CheckpointCodec.decodeDetailed(Arrays.copyOf(full, n));
      assertThat(decoded.checkpoint()).as("cut at %d bytes", n).isEqualTo(states.get(whole));
      assertThat(decoded.changes()).isEqualTo(whole);
      assertThat(decoded.droppedTailBytes()).isEqualTo(n - ends.get(whole));
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"checkpoint-v1.txt", "checkpoint-v2.txt", "checkpoint-v2-dynamic-mig.txt"})
  void rejectsEverySingleBitFlipInTheSnapshot(String file) throws IOException {
    byte[] full = Files.readAllBytes(GOLDEN.resolveSibling(file));
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

  @Test
  void rejectsEverySingleBitFlipInAnAppendedChange() throws Exception {
    byte[] full = appendedSample();
    for (int i = CheckpointCodec.encode(sample()).length; i < full.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] flipped = full.clone();
        flipped[i] ^= (byte) (1 << bit);
        int at = i;
        int b = bit;
        // Not even a flipped length passes for an append cut short: the header has its own CRC.
        assertThatThrownBy(() -> CheckpointCodec.decode(flipped))
            .as("bit %d of byte %d flipped", b, at)
            .isInstanceOf(CorruptCheckpointException.class);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 3, 17})
  void rejectsOtherVersionsSayingWhich(int version) throws IOException {
    String golden = Files.readString(GOLDEN, StandardCharsets.UTF_8);
    byte[] other =
        golden
            .replaceFirst("GPUDRA-CHECKPOINT 2 ", "GPUDRA-CHECKPOINT " + version + " ")
            .getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> CheckpointCodec.decode(other))
        .isInstanceOf(UnsupportedCheckpointVersionException.class)
        .hasMessageContaining("version " + version)
        .hasMessageContaining("reads versions 1 to 2");
  }

  @Test
  void aFutureVersionWithAnotherHeaderLayoutIsStillNamedAsSuch() {
    byte[] bytes = "GPUDRA-CHECKPOINT 9 zstd sha256=00\n...".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> CheckpointCodec.decode(bytes))
        .isInstanceOfSatisfying(
            UnsupportedCheckpointVersionException.class, e -> assertThat(e.version()).isEqualTo(9));
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
