package dev.gpudra.e2e.realnode;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The kernel settings a kubelet rewrites on start ({@code setupKernelTunables}), read before the
 * first kubelet of a run starts and written back after the last one stopped, so the test machine is
 * left as found. Setting {@code protectKernelDefaults} instead would make the kubelet refuse to
 * start wherever the host's values differ from its own.
 *
 * <p>Why a record on disk: a run that is killed before it restores (SIGKILL, a forcibly destroyed
 * local cluster) leaves the kubelet's values behind ({@code kernel.panic} 10 for the host's 1), and
 * the next run would read those as the host's and "restore" them for good. So the first snapshot
 * also writes the values to a record under {@code /run} (gone at reboot, as the kubelet's values
 * are), a snapshot that finds a record takes the host's values from it, and only a complete restore
 * deletes it.
 */
final class HostSysctls {

  /** Every key {@code setupKernelTunables} may set, relative to {@code /proc/sys}. */
  static final List<String> KEYS =
      List.of(
          "vm/overcommit_memory",
          "vm/panic_on_oom",
          "kernel/panic",
          "kernel/panic_on_oops",
          "kernel/keys/root_maxkeys",
          "kernel/keys/root_maxbytes");

  private static final Path PROC_SYS = Path.of("/proc/sys");
  private static final Path RECORD = Path.of("/run/gpudra-e2e/host-sysctls.properties");

  private final Path procSys;
  private final Path record;
  private final Map<String, String> saved;
  private final boolean fromRecord;

  private HostSysctls(Path procSys, Path record, Map<String, String> saved, boolean fromRecord) {
    this.procSys = procSys;
    this.record = record;
    this.saved = saved;
    this.fromRecord = fromRecord;
  }

  /** The host's values: from the record an unfinished run left, else read now and recorded. */
  static HostSysctls snapshot() {
    return snapshot(PROC_SYS, RECORD);
  }

  /**
   * As {@link #snapshot()}, over {@code procSys} standing in for {@code /proc/sys} and {@code
   * record} for the record file.
   */
  static HostSysctls snapshot(Path procSys, Path record) {
    Map<String, String> recorded = read(record);
    if (!recorded.isEmpty()) {
      return new HostSysctls(procSys, record, recorded, true);
    }
    Map<String, String> saved = new LinkedHashMap<>();
    for (String key : KEYS) {
      try {
        saved.put(key, value(procSys.resolve(key)));
      } catch (IOException e) {
        // not on this kernel: nothing a kubelet could change either
      }
    }
    write(record, saved);
    return new HostSysctls(procSys, record, saved, false);
  }

  /**
   * The value of one sysctl file, read in a single call from its start: {@code /proc/sys} files
   * report size 0, so {@link Files#readString} reads one byte first, and a sysctl answers a read at
   * a later offset with end of file ({@code kernel/panic} 10 read as "1").
   */
  static String value(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[256];
      int n = in.read(buffer);
      return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.US_ASCII).strip();
    }
  }

  /** Whether the values came from the record of an earlier run that did not restore them. */
  boolean fromEarlierRun() {
    return fromRecord;
  }

  /** The host's values by key (e.g. {@code kernel/panic}). */
  Map<String, String> saved() {
    return Map.copyOf(saved);
  }

  /**
   * Writes back every value that differs from the snapshot, each even if another fails, and then
   * deletes the record; returns what it restored.
   *
   * @throws UncheckedIOException naming every key it could not restore (the record is kept, so a
   *     later run still knows the host's values)
   */
  Map<String, String> restore() {
    Map<String, String> restored = new LinkedHashMap<>();
    UncheckedIOException failure = null;
    for (Map.Entry<String, String> e : saved.entrySet()) {
      Path file = procSys.resolve(e.getKey());
      try {
        if (!value(file).equals(e.getValue())) {
          Files.writeString(file, e.getValue());
          restored.put(e.getKey(), e.getValue());
        }
      } catch (IOException ex) {
        UncheckedIOException one =
            new UncheckedIOException("cannot restore " + file + " to " + e.getValue(), ex);
        if (failure == null) {
          failure = one;
        } else {
          failure.addSuppressed(one);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
    try {
      Files.deleteIfExists(record);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + record, e);
    }
    return restored;
  }

  private static Map<String, String> read(Path record) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!Files.isRegularFile(record)) {
      return out;
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(record)) {
      p.load(in);
    } catch (IOException | IllegalArgumentException e) {
      return out; // unreadable: take the values as they are now
    }
    for (String key : KEYS) {
      String value = p.getProperty(key);
      if (value != null) {
        out.put(key, value);
      }
    }
    return out;
  }

  /** Writes the record atomically; where that is not possible the values stay in memory only. */
  private static void write(Path record, Map<String, String> values) {
    Properties p = new Properties();
    p.putAll(values);
    try {
      Files.createDirectories(record.getParent());
      Path tmp = record.resolveSibling(record.getFileName() + ".tmp");
      try (Writer out = Files.newBufferedWriter(tmp)) {
        p.store(out, "host sysctls before the gpudra e2e kubelets; deleted once restored");
      }
      Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      System.err.println("[e2e] cannot record the host's sysctls in " + record + ": " + e);
    }
  }
}
