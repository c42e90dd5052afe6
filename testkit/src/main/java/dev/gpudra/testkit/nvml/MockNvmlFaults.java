package dev.gpudra.testkit.nvml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;

/**
 * Raises faults on a running mock NVML node: appends to the fault log next to its state file
 * ({@code <state>.faults}), which every process using that state file reads. An event set created
 * before the fault delivers it (XIDs, double-bit ECC errors; a lost GPU ends the wait with {@code
 * NVML_ERROR_GPU_IS_LOST}); every query on a lost GPU fails until {@link #bringBack}.
 *
 * <p>Thread-safe: each fault is one appending write, which readers see whole or not at all.
 */
public final class MockNvmlFaults {

  private final Path log;

  private MockNvmlFaults(Path log) {
    this.log = log;
  }

  /** The faults of the node whose state file is {@code stateFile}. */
  public static MockNvmlFaults forState(Path stateFile) {
    Objects.requireNonNull(stateFile, "stateFile");
    return new MockNvmlFaults(stateFile.resolveSibling(stateFile.getFileName() + ".faults"));
  }

  /** The faults of the node an {@link MockNvml#env} map selects. */
  public static MockNvmlFaults forEnv(Map<String, String> env) {
    String state = env.get(MockNvml.STATE_ENV);
    if (state == null) {
      throw new IllegalArgumentException("environment names no " + MockNvml.STATE_ENV);
    }
    return forState(Path.of(state));
  }

  /** The fault log file. */
  public Path log() {
    return log;
  }

  /** An XID critical error on a whole GPU (NVML index). */
  public void xid(int gpu, int xid) {
    append("xid " + gpu + " " + xid);
  }

  /** An XID critical error pinned to GPU instance {@code gi}, compute instance {@code ci}. */
  public void xid(int gpu, int xid, int gi, int ci) {
    append("xid " + gpu + " " + xid + " " + gi + " " + ci);
  }

  /** {@code count} XIDs in one write, as a flooding GPU produces them. */
  public void xidFlood(int gpu, int xid, int count) {
    append(("xid " + gpu + " " + xid + "\n").repeat(count).stripTrailing());
  }

  /** A double-bit ECC error event. */
  public void eccDoubleBit(int gpu) {
    append("ecc-dbe " + gpu);
  }

  /** The GPU falls off the bus. */
  public void lose(int gpu) {
    append("lost " + gpu);
  }

  /** A lost GPU answers again, as after a successful reset. */
  public void bringBack(int gpu) {
    append("back " + gpu);
  }

  private void append(String lines) {
    try {
      Files.write(
          log,
          (lines + "\n").getBytes(StandardCharsets.UTF_8),
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + log, e);
    }
  }
}
