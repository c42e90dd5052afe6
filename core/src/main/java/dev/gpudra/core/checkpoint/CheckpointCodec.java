package dev.gpudra.core.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Encodes a {@link Checkpoint} to bytes and back. Pure and thread-safe.
 *
 * <p>The format is ours and versioned: one ASCII header line, then a JSON body.
 *
 * <pre>
 * GPUDRA-CHECKPOINT 1 crc32c=1a2b3c4d length=123
 * {"bootId":"...","claims":[...]}
 * </pre>
 *
 * The header is read before anything else, so a file of a newer version is recognised as such
 * (never half-understood), and the length and CRC-32C of the body detect truncation and damage
 * before the body is parsed. Bodies are written deterministically (claims sorted by UID), which the
 * golden-file test relies on.
 */
public final class CheckpointCodec {

  /** The version this codec writes and the only one it reads. */
  public static final int VERSION = 1;

  private static final String MAGIC = "GPUDRA-CHECKPOINT";
  private static final Pattern HEADER =
      Pattern.compile(MAGIC + " (\\d{1,9}) crc32c=([0-9a-f]{8}) length=(\\d{1,10})");
  private static final Pattern VERSION_ONLY = Pattern.compile(MAGIC + " (\\d{1,9})( .*)?");
  // A header longer than this is not ours.
  private static final int MAX_HEADER = 128;

  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .build();

  /** The on-disk body: claims as a list so the UID appears once per claim. */
  private record Body(String bootId, List<PreparedClaim> claims) {}

  private CheckpointCodec() {}

  /** The bytes of {@code checkpoint} in the current version. */
  public static byte[] encode(Checkpoint checkpoint) {
    byte[] body =
        MAPPER.writeValueAsBytes(new Body(checkpoint.bootId(), List.copyOf(checkpoint.entries())));
    CRC32C crc = new CRC32C();
    crc.update(body);
    String header =
        String.format(
            Locale.ROOT,
            "%s %d crc32c=%08x length=%d\n",
            MAGIC,
            VERSION,
            crc.getValue(),
            body.length);
    byte[] head = header.getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, out, head.length, body.length);
    return out;
  }

  /**
   * The checkpoint in {@code bytes}.
   *
   * @throws CorruptCheckpointException when the bytes are empty, truncated, damaged, of another
   *     version or invalid; the message says which
   */
  public static Checkpoint decode(byte[] bytes) throws CorruptCheckpointException {
    if (bytes.length == 0) {
      throw new CorruptCheckpointException("checkpoint is empty");
    }
    int newline = -1;
    for (int i = 0; i < Math.min(bytes.length, MAX_HEADER); i++) {
      if (bytes[i] == '\n') {
        newline = i;
        break;
      }
    }
    if (newline < 0) {
      throw new CorruptCheckpointException(
          bytes.length < MAX_HEADER
              ? "checkpoint is truncated inside its header"
              : "checkpoint has no " + MAGIC + " header");
    }
    String header = new String(bytes, 0, newline, StandardCharsets.US_ASCII);
    Matcher m = HEADER.matcher(header);
    if (!m.matches()) {
      Matcher v = VERSION_ONLY.matcher(header);
      if (v.matches() && !String.valueOf(VERSION).equals(v.group(1))) {
        throw new CorruptCheckpointException(
            "checkpoint has version " + v.group(1) + ", this plugin reads version " + VERSION);
      }
      throw new CorruptCheckpointException("checkpoint header is damaged: " + printable(header));
    }
    int version = Integer.parseInt(m.group(1));
    if (version != VERSION) {
      throw new CorruptCheckpointException(
          "checkpoint has version " + version + ", this plugin reads version " + VERSION);
    }
    long length = Long.parseLong(m.group(3));
    int bodyLength = bytes.length - newline - 1;
    if (bodyLength < length) {
      throw new CorruptCheckpointException(
          "checkpoint is truncated: body has " + bodyLength + " of " + length + " bytes");
    }
    if (bodyLength > length) {
      throw new CorruptCheckpointException(
          "checkpoint has " + (bodyLength - length) + " bytes after its body");
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, newline + 1, bodyLength);
    long expected = Long.parseLong(m.group(2), 16);
    if (crc.getValue() != expected) {
      throw new CorruptCheckpointException(
          String.format(
              Locale.ROOT,
              "checkpoint checksum mismatch: header says %08x, body has %08x",
              expected,
              crc.getValue()));
    }
    Body body;
    try {
      body = MAPPER.readValue(Arrays.copyOfRange(bytes, newline + 1, bytes.length), Body.class);
    } catch (JacksonException | IllegalArgumentException | NullPointerException e) {
      throw new CorruptCheckpointException("checkpoint body is invalid: " + e.getMessage(), e);
    }
    if (body == null || body.bootId() == null || body.claims() == null) {
      throw new CorruptCheckpointException("checkpoint body lacks bootId or claims");
    }
    Map<String, PreparedClaim> claims = new LinkedHashMap<>();
    for (PreparedClaim claim : new ArrayList<>(body.claims())) {
      if (claim == null || claims.put(claim.uid(), claim) != null) {
        throw new CorruptCheckpointException("checkpoint lists a claim twice or a null claim");
      }
    }
    return new Checkpoint(body.bootId(), claims);
  }

  private static String printable(String s) {
    String cut = s.length() > 60 ? s.substring(0, 60) + "..." : s;
    return cut.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
