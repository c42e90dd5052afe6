package dev.gpudra.core.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Encodes a {@link Checkpoint} to bytes and back. Pure and thread-safe.
 *
 * <p>The format is ours and versioned. Version 2, written since changes are appended:
 *
 * <pre>
 * GPUDRA-CHECKPOINT 2 crc32c=1a2b3c4d length=123
 * {"bootId":"...","claims":[...]}          (the snapshot: 123 bytes, then a newline)
 * GPUDRA-CHANGE crc32c=5e6f7a8b length=45 head=0c1d2e3f
 * {"put":{"uid":"...",...}}                (a change: 45 bytes, then a newline)
 * GPUDRA-CHANGE crc32c=9c0d1e2f length=20 head=4a5b6c7d
 * {"remove":"..."}
 * </pre>
 *
 * A file is written whole ({@link #encode}) and then grows by appended changes ({@link
 * #encodeChanges}). Version 1, written before, is the snapshot alone with nothing after its body;
 * it is read as before, so a node upgraded with prepared claims keeps them.
 *
 * <p>The header is read before anything else, so a file of a newer version is recognised as such
 * ({@link UnsupportedCheckpointVersionException}, never half-understood), and the length and
 * CRC-32C of every record detect truncation and damage before its body is parsed; a change's header
 * carries a CRC-32C of its own ({@code head}), so that a damaged length is never taken for a short
 * record. The one damage that is expected and tolerated is an unfinished last change: a crash
 * during an append leaves a prefix of it (shorter than its header says), which was never synced and
 * so never acknowledged, and is ignored. Any other damage rejects the file. Bodies are written
 * deterministically (claims sorted by UID), which the golden-file tests rely on.
 */
public final class CheckpointCodec {

  /** The version this codec writes. */
  public static final int VERSION = 2;

  /** Every version this codec reads. */
  public static final List<Integer> READABLE_VERSIONS = List.of(1, 2);

  private static final String MAGIC = "GPUDRA-CHECKPOINT";
  private static final String CHANGE = "GPUDRA-CHANGE";
  private static final Pattern HEADER =
      Pattern.compile(MAGIC + " (\\d{1,9}) crc32c=([0-9a-f]{8}) length=(\\d{1,10})");
  private static final Pattern VERSION_ONLY = Pattern.compile(MAGIC + " (\\d{1,9})( .*)?");
  private static final Pattern CHANGE_HEADER =
      Pattern.compile(
          "(" + CHANGE + " crc32c=([0-9a-f]{8}) length=(\\d{1,10})) head=([0-9a-f]{8})");
  // A header longer than this is not ours.
  private static final int MAX_HEADER = 128;

  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .build();
  // Changes are one line each: small, and readable with grep.
  private static final ObjectWriter CHANGE_WRITER =
      MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

  /** The on-disk snapshot body: claims as a list so the UID appears once per claim. */
  private record Body(String bootId, List<PreparedClaim> claims) {}

  /** The on-disk change body: exactly one of the two is set. */
  @com.fasterxml.jackson.annotation.JsonInclude(
      com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
  private record ChangeBody(PreparedClaim put, String remove) {}

  private CheckpointCodec() {}

  /** The bytes of {@code checkpoint} as a whole file in the current version. */
  public static byte[] encode(Checkpoint checkpoint) {
    byte[] body =
        MAPPER.writeValueAsBytes(new Body(checkpoint.bootId(), List.copyOf(checkpoint.entries())));
    return frame(MAGIC + " " + VERSION + " ", body);
  }

  /**
   * The bytes to append to a file of the current version so that it reads as with {@code changes}
   * applied, in order.
   */
  public static byte[] encodeChanges(List<CheckpointChange> changes) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (CheckpointChange change : changes) {
      ChangeBody body =
          switch (change) {
            case CheckpointChange.Put put -> new ChangeBody(put.claim(), null);
            case CheckpointChange.Remove remove -> new ChangeBody(null, remove.uid());
          };
      out.writeBytes(changeFrame(CHANGE_WRITER.writeValueAsBytes(body)));
    }
    return out.toByteArray();
  }

  /**
   * The checkpoint in {@code bytes}, of any readable version.
   *
   * @throws CorruptCheckpointException when the bytes are empty, truncated, damaged, of another
   *     version ({@link UnsupportedCheckpointVersionException}) or invalid; the message says which
   */
  public static Checkpoint decode(byte[] bytes) throws CorruptCheckpointException {
    return decodeDetailed(bytes).checkpoint();
  }

  /**
   * The checkpoint in {@code bytes} and how it was stored; the same checks as {@link #decode}.
   *
   * @throws CorruptCheckpointException as {@link #decode}
   */
  public static DecodedCheckpoint decodeDetailed(byte[] bytes) throws CorruptCheckpointException {
    if (bytes.length == 0) {
      throw new CorruptCheckpointException("checkpoint is empty");
    }
    int newline = lineEnd(bytes, 0);
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
      if (v.matches() && !READABLE_VERSIONS.contains(Integer.parseInt(v.group(1)))) {
        throw unsupported(Integer.parseInt(v.group(1)));
      }
      throw new CorruptCheckpointException("checkpoint header is damaged: " + printable(header));
    }
    int version = Integer.parseInt(m.group(1));
    if (!READABLE_VERSIONS.contains(version)) {
      throw unsupported(version);
    }
    long length = Long.parseLong(m.group(3));
    int start = newline + 1;
    long available = (long) bytes.length - start;
    if (available < length) {
      throw new CorruptCheckpointException(
          "checkpoint is truncated: body has " + available + " of " + length + " bytes");
    }
    int end = start + (int) length;
    if (version == 1 && bytes.length > end) {
      throw new CorruptCheckpointException(
          "checkpoint has " + (bytes.length - end) + " bytes after its body");
    }
    checkCrc(bytes, start, end, m.group(2), "checkpoint");
    Body body;
    try {
      body = MAPPER.readValue(Arrays.copyOfRange(bytes, start, end), Body.class);
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
    Checkpoint checkpoint = new Checkpoint(body.bootId(), claims);
    if (version == 1) {
      return new DecodedCheckpoint(checkpoint, version, 0, 0);
    }
    if (end == bytes.length) {
      throw new CorruptCheckpointException("checkpoint is truncated: no newline after its body");
    }
    if (bytes[end] != '\n') {
      throw new CorruptCheckpointException("checkpoint has no newline after its body");
    }
    return readChanges(bytes, end + 1, checkpoint);
  }

  // Applies the changes from pos on. Only the last record may be unfinished: a crash cut its
  // append short (or, after a power loss, left it unwritten), before the sync that acknowledges it.
  private static DecodedCheckpoint readChanges(byte[] bytes, int pos, Checkpoint checkpoint)
      throws CorruptCheckpointException {
    int changes = 0;
    while (pos < bytes.length) {
      int newline = lineEnd(bytes, pos);
      if (newline < 0) {
        if (bytes.length - pos < MAX_HEADER) {
          return torn(checkpoint, changes, bytes.length - pos);
        }
        throw new CorruptCheckpointException("change " + (changes + 1) + " has no header");
      }
      String header = new String(bytes, pos, newline - pos, StandardCharsets.US_ASCII);
      Matcher m = CHANGE_HEADER.matcher(header);
      if (!m.matches()) {
        throw new CorruptCheckpointException(
            "change " + (changes + 1) + " header is damaged: " + printable(header));
      }
      if (crc(m.group(1).getBytes(StandardCharsets.US_ASCII)) != Long.parseLong(m.group(4), 16)) {
        throw new CorruptCheckpointException(
            "change " + (changes + 1) + " header fails its checksum: " + printable(header));
      }
      long length = Long.parseLong(m.group(3));
      int start = newline + 1;
      // The body and its newline; a whole header vouches for the length.
      if (bytes.length - start < length + 1) {
        return torn(checkpoint, changes, bytes.length - pos);
      }
      int end = start + (int) length;
      checkCrc(bytes, start, end, m.group(2), "change " + (changes + 1));
      if (bytes[end] != '\n') {
        throw new CorruptCheckpointException("change " + (changes + 1) + " has no final newline");
      }
      checkpoint = change(bytes, start, end, changes + 1).applyTo(checkpoint);
      changes++;
      pos = end + 1;
    }
    return new DecodedCheckpoint(checkpoint, VERSION, changes, 0);
  }

  private static CheckpointChange change(byte[] bytes, int start, int end, int number)
      throws CorruptCheckpointException {
    ChangeBody body;
    try {
      body = MAPPER.readValue(Arrays.copyOfRange(bytes, start, end), ChangeBody.class);
    } catch (JacksonException | IllegalArgumentException | NullPointerException e) {
      throw new CorruptCheckpointException(
          "change " + number + " is invalid: " + e.getMessage(), e);
    }
    if (body == null || (body.put() == null) == (body.remove() == null)) {
      throw new CorruptCheckpointException(
          "change " + number + " must either put a claim or remove one");
    }
    try {
      return body.put() != null
          ? new CheckpointChange.Put(body.put())
          : new CheckpointChange.Remove(body.remove());
    } catch (IllegalArgumentException e) {
      throw new CorruptCheckpointException(
          "change " + number + " is invalid: " + e.getMessage(), e);
    }
  }

  private static DecodedCheckpoint torn(Checkpoint checkpoint, int changes, int tail) {
    return new DecodedCheckpoint(checkpoint, VERSION, changes, tail);
  }

  private static byte[] changeFrame(byte[] body) {
    // "%08x" by hand: every group commit frames its changes here.
    HexFormat hex = HexFormat.of();
    String head = CHANGE + " crc32c=" + hex.toHexDigits((int) crc(body)) + " length=" + body.length;
    String header =
        head
            + " head="
            + hex.toHexDigits((int) crc(head.getBytes(StandardCharsets.US_ASCII)))
            + "\n";
    byte[] start = header.getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(start, start.length + body.length + 1);
    System.arraycopy(body, 0, out, start.length, body.length);
    out[out.length - 1] = '\n';
    return out;
  }

  private static long crc(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return crc.getValue();
  }

  private static byte[] frame(String prefix, byte[] body) {
    CRC32C crc = new CRC32C();
    crc.update(body);
    String header =
        String.format(
            Locale.ROOT, "%scrc32c=%08x length=%d\n", prefix, crc.getValue(), body.length);
    byte[] head = header.getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(head, head.length + body.length + 1);
    System.arraycopy(body, 0, out, head.length, body.length);
    out[out.length - 1] = '\n';
    return out;
  }

  private static void checkCrc(byte[] bytes, int start, int end, String hex, String what)
      throws CorruptCheckpointException {
    CRC32C crc = new CRC32C();
    crc.update(bytes, start, end - start);
    long expected = Long.parseLong(hex, 16);
    if (crc.getValue() != expected) {
      throw new CorruptCheckpointException(
          String.format(
              Locale.ROOT,
              "%s checksum mismatch: header says %08x, body has %08x",
              what,
              expected,
              crc.getValue()));
    }
  }

  // Index of the newline ending the line at from, searched within MAX_HEADER bytes; -1 if none.
  private static int lineEnd(byte[] bytes, int from) {
    for (int i = from; i < Math.min(bytes.length, from + MAX_HEADER); i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static UnsupportedCheckpointVersionException unsupported(int version) {
    return new UnsupportedCheckpointVersionException(
        version,
        "checkpoint has version "
            + version
            + ", this plugin reads versions "
            + READABLE_VERSIONS.get(0)
            + " to "
            + READABLE_VERSIONS.get(READABLE_VERSIONS.size() - 1));
  }

  private static String printable(String s) {
    String cut = s.length() > 60 ? s.substring(0, 60) + "..." : s;
    return cut.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
