package dev.gpudra.plugin.node;

import dev.gpudra.core.checkpoint.CheckpointCodec;
import dev.gpudra.core.checkpoint.CorruptCheckpointException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Checkpoints as plugins of format version 1 wrote them: the header {@code GPUDRA-CHECKPOINT 1
 * crc32c=... length=...} and the snapshot's body, with nothing after it. Version 2's snapshot has
 * the same header layout and body, followed by a newline, so a version 1 file is that with the
 * version changed and the newline dropped; the CRC covers the body alone and stays valid.
 */
final class LegacyCheckpoint {

  private LegacyCheckpoint() {}

  /**
   * Rewrites the checkpoint at {@code file}, if one is there and readable, in version 1 with the
   * same claims; an unreadable one is left for the plugin to move aside.
   */
  static void rewriteAsVersion1(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return;
    }
    byte[] v2;
    try {
      v2 = CheckpointCodec.encode(CheckpointCodec.decode(Files.readAllBytes(file)));
    } catch (CorruptCheckpointException e) {
      return;
    }
    String prefix = "GPUDRA-CHECKPOINT " + CheckpointCodec.VERSION + " ";
    byte[] head = prefix.getBytes(StandardCharsets.US_ASCII);
    if (!Arrays.equals(head, Arrays.copyOf(v2, head.length))) {
      throw new IllegalStateException("version 2 header changed; update this fixture writer");
    }
    byte[] v1 = Arrays.copyOf(v2, v2.length - 1);
    v1[prefix.length() - 2] = '1';
    Files.write(file, v1);
  }
}
