package dev.gpudra.image;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes a POSIX tar archive whose bytes depend only on the entries given, in the order given:
 * every entry is owned by 0:0 with no user or group name and the modification time 0, so that the
 * same files always make the same layer digest (image reproducibility rests on this). Names that do
 * not fit the ustar fields get a PAX extended header, as GNU tar and containerd read them.
 *
 * <p>Not thread-safe; one writer per archive.
 */
final class TarWriter implements Closeable {
  private static final int BLOCK = 512;
  private static final byte[] ZEROS = new byte[BLOCK];

  private final OutputStream out;
  private int paxHeaders;

  TarWriter(OutputStream out) {
    this.out = out;
  }

  /** A directory; {@code path} is relative, without a leading or trailing slash. */
  void directory(String path, int mode) throws IOException {
    header(path + "/", mode, 0, '5', "");
  }

  /** A symbolic link to {@code target} (kept verbatim, absolute or relative). */
  void symlink(String path, String target) throws IOException {
    header(path, 0777, 0, '2', target);
  }

  /** A regular file with the contents of {@code source}, which must not change while written. */
  void file(String path, int mode, Path source) throws IOException {
    long size = Files.size(source);
    header(path, mode, size, '0', "");
    try (InputStream in = Files.newInputStream(source)) {
      long copied = in.transferTo(out);
      if (copied != size) {
        throw new IOException(source + " changed size while it was archived");
      }
    }
    pad(size);
  }

  /** A regular file with the given contents. */
  void file(String path, int mode, byte[] contents) throws IOException {
    header(path, mode, contents.length, '0', "");
    out.write(contents);
    pad(contents.length);
  }

  /** Ends the archive (two zero blocks) and closes the stream. */
  @Override
  public void close() throws IOException {
    out.write(ZEROS);
    out.write(ZEROS);
    out.close();
  }

  private void header(String path, int mode, long size, char type, String link) throws IOException {
    byte[] name = path.getBytes(StandardCharsets.UTF_8);
    byte[] linkName = link.getBytes(StandardCharsets.UTF_8);
    int split = splitPoint(name);
    boolean pax = (name.length > 100 && split < 0) || linkName.length > 100;
    if (pax) {
      StringBuilder records = new StringBuilder();
      if (name.length > 100) {
        records.append(paxRecord("path", path));
      }
      if (linkName.length > 100) {
        records.append(paxRecord("linkpath", link));
      }
      byte[] body = records.toString().getBytes(StandardCharsets.UTF_8);
      writeHeader(
          ("PaxHeaders/" + paxHeaders++).getBytes(StandardCharsets.UTF_8),
          new byte[0],
          0644,
          body.length,
          'x',
          new byte[0]);
      out.write(body);
      pad(body.length);
      // The ustar fields then carry truncated names, which readers replace by the PAX ones.
      writeHeader(
          Arrays.copyOf(name, Math.min(name.length, 100)),
          new byte[0],
          mode,
          size,
          type,
          Arrays.copyOf(linkName, Math.min(linkName.length, 100)));
    } else if (name.length > 100) {
      writeHeader(
          Arrays.copyOfRange(name, split + 1, name.length),
          Arrays.copyOf(name, split),
          mode,
          size,
          type,
          linkName);
    } else {
      writeHeader(name, new byte[0], mode, size, type, linkName);
    }
  }

  /** The index of a '/' that splits a long name into ustar's prefix (155) and name (100). */
  private static int splitPoint(byte[] name) {
    for (int i = Math.min(name.length - 1, 155); i > 0; i--) {
      if (name[i] == '/' && name.length - i - 1 <= 100 && name.length - i - 1 > 0) {
        return i;
      }
    }
    return -1;
  }

  /** One PAX record: its decimal length counts the length field itself. */
  private static String paxRecord(String key, String value) {
    int rest =
        key.getBytes(StandardCharsets.UTF_8).length
            + value.getBytes(StandardCharsets.UTF_8).length
            + 3;
    int length = rest + Integer.toString(rest).length();
    if (Integer.toString(length).length() != Integer.toString(rest).length()) {
      length = rest + Integer.toString(length).length();
    }
    return length + " " + key + "=" + value + "\n";
  }

  private void writeHeader(byte[] name, byte[] prefix, int mode, long size, char type, byte[] link)
      throws IOException {
    byte[] h = new byte[BLOCK];
    System.arraycopy(name, 0, h, 0, name.length);
    octal(h, 100, 8, mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, 0);
    h[156] = (byte) type;
    System.arraycopy(link, 0, h, 157, link.length);
    byte[] magic = "ustar\u000000".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(magic, 0, h, 257, magic.length);
    octal(h, 329, 8, 0);
    octal(h, 337, 8, 0);
    System.arraycopy(prefix, 0, h, 345, prefix.length);
    Arrays.fill(h, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    out.write(h);
  }

  /** {@code value} in octal, zero-padded to {@code length - 1} digits and NUL-terminated. */
  private static void octal(byte[] h, int offset, int length, long value) {
    String digits = Long.toOctalString(value);
    if (digits.length() > length - 1) {
      throw new IllegalArgumentException("value " + value + " does not fit a tar header field");
    }
    String padded = "0".repeat(length - 1 - digits.length()) + digits;
    System.arraycopy(padded.getBytes(StandardCharsets.US_ASCII), 0, h, offset, length - 1);
    h[offset + length - 1] = 0;
  }

  private void pad(long size) throws IOException {
    int rest = (int) (size % BLOCK);
    if (rest != 0) {
      out.write(ZEROS, 0, BLOCK - rest);
    }
  }
}
