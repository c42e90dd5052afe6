package dev.gpudra.plugin.bench;

import dev.gpudra.runtime.AtomicFileWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The floor of any durable prepare: the raw cost of replacing one small file durably (temporary
 * file, fsync, rename, fsync of the directory) in the directory the benchmark's state lives in.
 * Nothing that answers only after its record is durable can be faster than about this.
 */
final class FsyncFloor {

  private FsyncFloor() {}

  /** Nanoseconds of each of {@code count} replaces of a 1 KiB file in {@code dir}. */
  static List<Long> measure(Path dir, int count) throws IOException {
    byte[] bytes = "x".repeat(1024).getBytes(StandardCharsets.US_ASCII);
    Path target = dir.resolve("floor");
    var mode = PosixFilePermissions.fromString("rw-------");
    List<Long> samples = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long start = System.nanoTime();
      AtomicFileWriter.write(target, bytes, mode);
      samples.add(System.nanoTime() - start);
    }
    return samples;
  }
}
