package dev.gpudra.e2e.realnode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot and restore of the kubelet's kernel settings, over a directory for /proc/sys. */
class HostSysctlsTest {

  /** The host's values before any kubelet ran. */
  private static final Map<String, String> HOST =
      Map.of(
          "vm/overcommit_memory", "0",
          "vm/panic_on_oom", "0",
          "kernel/panic", "1",
          "kernel/panic_on_oops", "0",
          "kernel/keys/root_maxkeys", "200",
          "kernel/keys/root_maxbytes", "20000");

  /** What a kubelet's setupKernelTunables writes. */
  private static final Map<String, String> KUBELET =
      Map.of(
          "vm/overcommit_memory", "1",
          "vm/panic_on_oom", "0",
          "kernel/panic", "10",
          "kernel/panic_on_oops", "1",
          "kernel/keys/root_maxkeys", "1000000",
          "kernel/keys/root_maxbytes", "25000000");

  @TempDir Path dir;
  private Path procSys;
  private Path record;

  @BeforeEach
  void host() throws IOException {
    procSys = dir.resolve("proc-sys");
    record = dir.resolve("run/host-sysctls.properties");
    write(HOST);
  }

  @Test
  void aMultiDigitValueOfTheRealProcSysIsReadWhole() throws Exception {
    // pid_max has several digits on every kernel; a byte-at-a-time read would give its first.
    Path pidMax = Path.of("/proc/sys/kernel/pid_max");
    Process cat = new ProcessBuilder("cat", pidMax.toString()).start();
    String expected =
        new String(cat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
    assertThat(cat.waitFor()).isZero();
    assertThat(expected).hasSizeGreaterThan(1);

    assertThat(HostSysctls.value(pidMax)).isEqualTo(expected);
  }

  @Test
  void restoresEveryKeyTheKubeletSetsAndForgetsTheRecord() throws IOException {
    HostSysctls sysctls = HostSysctls.snapshot(procSys, record);
    write(KUBELET);

    Map<String, String> restored = sysctls.restore();

    assertThat(values()).isEqualTo(HOST);
    assertThat(restored)
        .containsEntry("kernel/panic", "1")
        .containsEntry("kernel/panic_on_oops", "0")
        .containsEntry("vm/overcommit_memory", "0")
        .containsKeys("kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes")
        .doesNotContainKey("vm/panic_on_oom"); // the kubelet left it as it was
    assertThat(record).doesNotExist();
  }

  @Test
  void aRunAfterOneThatWasKilledRestoresTheHostsValuesNotTheKubeletsOnes() throws IOException {
    HostSysctls.snapshot(procSys, record); // this run is killed: it never restores
    write(KUBELET);

    HostSysctls next = HostSysctls.snapshot(procSys, record);
    next.restore();

    assertThat(next.fromEarlierRun()).isTrue();
    assertThat(values()).containsEntry("kernel/panic", "1").isEqualTo(HOST);
    assertThat(record).doesNotExist();
  }

  @Test
  void aCleanRunLeavesNoRecordSoTheNextOneReadsTheHostAfresh() throws IOException {
    HostSysctls.snapshot(procSys, record).restore();
    Files.writeString(procSys.resolve("kernel/panic"), "5"); // the admin's own change

    HostSysctls next = HostSysctls.snapshot(procSys, record);

    assertThat(next.fromEarlierRun()).isFalse();
    assertThat(next.saved()).containsEntry("kernel/panic", "5");
  }

  @Test
  void aKeyThisKernelLacksIsLeftAlone() throws IOException {
    Files.delete(procSys.resolve("kernel/keys/root_maxbytes"));
    HostSysctls sysctls = HostSysctls.snapshot(procSys, record);
    write(Map.of("kernel/panic", "10"));

    sysctls.restore();

    assertThat(values()).containsEntry("kernel/panic", "1");
    assertThat(procSys.resolve("kernel/keys/root_maxbytes")).doesNotExist();
  }

  @Test
  void aKeyThatCannotBeWrittenDoesNotStopTheOthersAndKeepsTheRecord() throws IOException {
    HostSysctls sysctls = HostSysctls.snapshot(procSys, record);
    write(KUBELET);
    Path blocked = procSys.resolve("vm/overcommit_memory");
    Files.delete(blocked);
    Files.createDirectory(blocked); // reads and writes of it fail

    assertThatThrownBy(sysctls::restore)
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("vm/overcommit_memory");

    assertThat(values())
        .containsEntry("kernel/panic", "1")
        .containsEntry("kernel/panic_on_oops", "0");
    assertThat(record).exists();
  }

  private void write(Map<String, String> values) throws IOException {
    for (Map.Entry<String, String> e : values.entrySet()) {
      Path file = procSys.resolve(e.getKey());
      Files.createDirectories(file.getParent());
      Files.writeString(file, e.getValue() + "\n");
    }
  }

  private Map<String, String> values() throws IOException {
    Map<String, String> out = new java.util.TreeMap<>();
    for (String key : HostSysctls.KEYS) {
      Path file = procSys.resolve(key);
      if (Files.isRegularFile(file)) {
        out.put(key, Files.readString(file).strip());
      }
    }
    return out;
  }
}
