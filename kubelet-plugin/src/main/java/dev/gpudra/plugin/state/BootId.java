package dev.gpudra.plugin.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the kernel's boot id, which changes with every boot and only then. */
public final class BootId {

  /** Where Linux publishes it. */
  public static final Path DEFAULT_PATH = Path.of("/proc/sys/kernel/random/boot_id");

  private BootId() {}

  /**
   * The boot id in {@code path}, trimmed.
   *
   * @throws UncheckedIOException when it cannot be read; start-up must fail then, since without it
   *     a reboot cannot be told from a restart
   * @throws IllegalStateException when the file is empty
   */
  public static String read(Path path) {
    try {
      String id = Files.readString(path, StandardCharsets.US_ASCII).trim();
      if (id.isEmpty()) {
        throw new IllegalStateException("boot id file " + path + " is empty");
      }
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("reading boot id " + path + " failed", e);
    }
  }
}
