package dev.gpudra.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * Coverage-guided fuzzing of the checkpoint codec through its public decode entry: whatever bytes
 * the plugin finds on disk at start-up decode to a checkpoint that survives a round trip, or are
 * rejected with a {@link CorruptCheckpointException} (which start-up recovery turns into a logged,
 * recovered condition). Any other exception would be a crash loop on a damaged node.
 *
 * <p>Two targets: raw bytes (header parsing, truncation, version detection) and a body behind a
 * correct version-1 header (so the fuzzer gets past the checksum and exercises record validation).
 */
class CheckpointCodecFuzzTest {

  @FuzzTest(maxDuration = "10s")
  @DictionaryEntries({"GPUDRA-CHECKPOINT 1 ", "GPUDRA-CHECKPOINT 2 ", "crc32c=", " length="})
  void rawBytesDecodeOrAreReportedCorrupt(byte[] bytes) throws CorruptCheckpointException {
    decodeAndCheckRoundTrip(bytes);
  }

  @FuzzTest(maxDuration = "10s")
  @DictionaryEntries({
    "\"bootId\"",
    "\"claims\"",
    "\"uid\"",
    "\"namespace\"",
    "\"name\"",
    "\"state\"",
    "\"PREPARE_STARTED\"",
    "\"PREPARE_COMPLETED\"",
    "\"devices\"",
    "\"requestNames\"",
    "\"poolName\"",
    "\"deviceName\"",
    "\"cdiDeviceIds\"",
    "\"adminAccess\"",
    "\"sharingStrategy\"",
    "\"dynamicMig\"",
    "\"parentUuid\"",
    "\"profileId\"",
    "\"placementStart\"",
    "\"placementSize\"",
    "\"instance\"",
    "\"gpuInstanceId\"",
    "\"computeInstanceId\"",
  })
  void bodiesBehindAValidHeaderDecodeOrAreReportedCorrupt(byte[] body)
      throws CorruptCheckpointException {
    decodeAndCheckRoundTrip(withVersion1Header(body));
  }

  private static void decodeAndCheckRoundTrip(byte[] bytes) throws CorruptCheckpointException {
    Checkpoint decoded;
    try {
      decoded = CheckpointCodec.decode(bytes);
    } catch (CorruptCheckpointException e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    }
    // What was accepted must be what the plugin would write back: nothing half-understood. A
    // CorruptCheckpointException here fails the target: the codec rejected its own output.
    assertThat(CheckpointCodec.decode(CheckpointCodec.encode(decoded))).isEqualTo(decoded);
  }

  /** The version-1 framing (header line with CRC-32C and length) around {@code body}. */
  static byte[] withVersion1Header(byte[] body) {
    CRC32C crc = new CRC32C();
    crc.update(body);
    byte[] head =
        String.format(
                Locale.ROOT,
                "GPUDRA-CHECKPOINT 1 crc32c=%08x length=%d\n",
                crc.getValue(),
                body.length)
            .getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, out, head.length, body.length);
    return out;
  }
}
