package dev.gpudra.e2e.realnode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a POSIX ustar archive: directories, regular files and symbolic links with fixed owner
 * (root), fixed modification time (0) and the given modes, so the same entries give the same bytes
 * and therefore the same image digests. Names must fit ustar's 100 bytes, which the offline images
 * never exceed. Not thread-safe.
 */
final class TarWriter implements AutoCloseable {

  private static final int BLOCK = 512;

  private final OutputStream out;

  TarWriter(OutputStream out) {
    this.out = out;
  }

  void directory(String name, int mode) throws IOException {
    header(name.endsWith("/") ? name : name + "/", mode, 0, '5', "");
  }

  void file(String name, int mode, byte[] content) throws IOException {
    header(name, mode, content.length, '0', "");
    out.write(content);
    pad(content.length);
  }

  void symlink(String name, String target) throws IOException {
    header(name, 0777, 0, '2', target);
  }

  /** Ends the archive with two zero blocks, as readers expect. */
  @Override
  public void close() throws IOException {
    out.write(new byte[2 * BLOCK]);
    out.flush();
  }

  private void header(String name, int mode, long size, char type, String link) throws IOException {
    byte[] h = new byte[BLOCK];
    put(h, 0, 100, name);
    octal(h, 100, 8, mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, 0);
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    h[156] = (byte) type;
    put(h, 157, 100, link);
    put(h, 257, 6, "ustar");
    put(h, 263, 2, "00");
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    out.write(h);
  }

  private void pad(long size) throws IOException {
    int rest = (int) (size % BLOCK);
    if (rest != 0) {
      out.write(new byte[BLOCK - rest]);
    }
  }

  private static void put(byte[] h, int offset, int length, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > length) {
      throw new IllegalArgumentException("tar field too long: " + value);
    }
    System.arraycopy(bytes, 0, h, offset, bytes.length);
  }

  /** A zero-padded octal number of {@code length - 1} digits and a NUL. */
  private static void octal(byte[] h, int offset, int length, long value) {
    String digits = Long.toOctalString(value);
    put(h, offset, length, "0".repeat(length - 1 - digits.length()) + digits);
  }
}
