package dev.gpudra.e2e.realnode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel settings a kubelet rewrites on start ({@code setupKernelTunables}), read before the
 * first kubelet of a run starts and written back after the last one stopped, so the test machine is
 * left as found. Setting {@code protectKernelDefaults} instead would make the kubelet refuse to
 * start wherever the host's values differ from its own.
 */
final class HostSysctls {

  private static final List<String> KEYS =
      List.of(
          "vm/overcommit_memory",
          "vm/panic_on_oom",
          "kernel/panic",
          "kernel/panic_on_oops",
          "kernel/keys/root_maxkeys",
          "kernel/keys/root_maxbytes");

  private final Map<Path, String> saved;

  private HostSysctls(Map<Path, String> saved) {
    this.saved = saved;
  }

  /** Reads the current values. */
  static HostSysctls snapshot() {
    Map<Path, String> saved = new LinkedHashMap<>();
    for (String key : KEYS) {
      Path file = Path.of("/proc/sys", key);
      try {
        saved.put(file, Files.readString(file).strip());
      } catch (IOException e) {
        // not on this kernel: nothing a kubelet could change either
      }
    }
    return new HostSysctls(saved);
  }

  /** Writes back every value that differs from the snapshot; returns what it restored. */
  Map<Path, String> restore() {
    Map<Path, String> restored = new LinkedHashMap<>();
    saved.forEach(
        (file, value) -> {
          try {
            if (!Files.readString(file).strip().equals(value)) {
              Files.writeString(file, value);
              restored.put(file, value);
            }
          } catch (IOException e) {
            throw new UncheckedIOException("cannot restore " + file + " to " + value, e);
          }
        });
    return restored;
  }
}
