package dev.gpudra.cdi;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gpudra.cdi.spec.CdiDevice;
import dev.gpudra.cdi.spec.CdiJson;
import dev.gpudra.cdi.spec.CdiNameRules;
import dev.gpudra.core.config.TimeSliceInterval;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Coverage-guided fuzzing of CDI naming and per-claim spec building: whatever claim UID, device
 * names, UUIDs, minors and sharing reach the builder, the result is a spec that container runtimes
 * accept (names within the CDI character rules, one id per device, a file name that stays inside
 * the CDI directory, JSON that reads back equal) or an {@link IllegalArgumentException}; nothing
 * else.
 */
class CdiSpecFuzzTest {

  private static final int MAX_DEVICES = 300;
  private static final ClaimSpecBuilder BUILDER =
      new ClaimSpecBuilder(Fixtures.MAJORS, dev.gpudra.cdi.spec.ContainerEdits.NONE);

  @FuzzTest(maxDuration = "10s")
  @DictionaryEntries({"gpu-0", "-mig-1g10gb-19-0", "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f", ".json"})
  void namesFollowTheCdiRulesOrAreRejected(FuzzedDataProvider data) {
    String claimUid = data.consumeString(64);
    String deviceName = data.consumeString(80);
    String fileName = data.consumeRemainingAsString();

    String cdiName;
    try {
      cdiName = CdiNames.cdiDeviceName(claimUid, deviceName);
    } catch (IllegalArgumentException rejected) {
      cdiName = null;
    }
    if (cdiName != null) {
      assertThat(CdiNameRules.isValidDeviceName(cdiName)).as(cdiName).isTrue();
      String id = CdiNames.qualifiedId(claimUid, deviceName);
      int slash = id.indexOf('/');
      int equals = id.indexOf('=');
      assertThat(CdiNameRules.isValidVendorOrClass(id.substring(0, slash))).isTrue();
      assertThat(CdiNameRules.isValidVendorOrClass(id.substring(slash + 1, equals))).isTrue();
      assertThat(id.substring(equals + 1)).isEqualTo(cdiName);
      String specFile = CdiNames.specFileName(claimUid);
      assertThat(specFile).doesNotContain("/").doesNotContain("..");
      assertThat(CdiNames.claimUidOfSpecFile(specFile)).contains(claimUid);
    }
    // Any name read from the CDI directory is ours only if it is exactly what we would write.
    Optional<String> uid = CdiNames.claimUidOfSpecFile(fileName);
    uid.ifPresent(u -> assertThat(CdiNames.specFileName(u)).isEqualTo(fileName));
  }

  @FuzzTest(maxDuration = "10s")
  void specsBuildValidOrAreRejected(FuzzedDataProvider data) {
    String claimUid = data.consumeBoolean() ? uuid(data) : data.consumeString(40);
    int count = data.consumeInt(0, MAX_DEVICES);
    List<PreparedDevice> devices = new ArrayList<>();
    try {
      for (int i = 0; i < count && data.remainingBytes() > 0; i++) {
        devices.add(device(data, i));
      }
    } catch (IllegalArgumentException invalidDevice) {
      return; // the records refuse invalid fields themselves
    }
    ClaimSpec spec;
    try {
      spec = BUILDER.build(claimUid, devices);
    } catch (IllegalArgumentException rejected) {
      return;
    }
    assertThat(spec.cdiIds()).hasSize(devices.size()).doesNotHaveDuplicates();
    assertThat(spec.spec().devices()).hasSize(devices.size());
    for (CdiDevice device : spec.spec().devices()) {
      assertThat(CdiNameRules.isValidDeviceName(device.name())).as(device.name()).isTrue();
    }
    assertThat(spec.fileName()).isEqualTo(CdiNames.specFileName(claimUid));
    // Environment keys are distinct per device, so no device's value overrides another's.
    List<String> keys = new ArrayList<>();
    spec.spec().devices().forEach(d -> d.containerEdits().env().forEach(e -> keys.add(key(e))));
    assertThat(new HashSet<>(keys).size()).isEqualTo(keys.size() - sharedMpsKeys(keys));
    assertThat(CdiJson.decode(CdiJson.encode(spec.spec()))).isEqualTo(spec.spec());
  }

  private static PreparedDevice device(FuzzedDataProvider data, int index) {
    String name = data.consumeBoolean() ? "gpu-" + index : data.consumeString(70);
    Sharing sharing =
        switch (data.consumeInt(0, 3)) {
          case 0 -> Sharing.exclusive();
          case 1 -> Sharing.timeSlicing(data.pickValue(TimeSliceInterval.values()));
          case 2 ->
              new Sharing.Mps(
                  data.consumeString(40),
                  data.consumeString(40),
                  data.consumeBoolean() ? null : data.consumeInt(-5, 105));
          default -> new Sharing.Mps("/run/mps/p", "/run/mps/s", null);
        };
    if (data.consumeBoolean()) {
      return new PreparedDevice.FullGpu(name, data.consumeInt(-2, 260), gpuUuid(data), sharing);
    }
    return new PreparedDevice.MigDevice(
        name,
        data.consumeInt(-2, 260),
        gpuUuid(data),
        "MIG-" + uuid(data),
        data.consumeInt(-1, 20),
        data.consumeInt(-1, 20),
        data.consumeInt(-1, 1 << 21),
        data.consumeInt(-1, 1 << 21),
        sharing);
  }

  private static String gpuUuid(FuzzedDataProvider data) {
    return data.consumeBoolean() ? "GPU-" + uuid(data) : data.consumeString(50);
  }

  /** A well-formed UUID text from the input, so most inputs pass the UID checks. */
  private static String uuid(FuzzedDataProvider data) {
    return String.format(
        Locale.ROOT,
        "%08x-%04x-%04x-%04x-%012x",
        data.consumeInt(),
        data.consumeShort(),
        data.consumeShort(),
        data.consumeShort(),
        data.consumeLong() & 0xffff_ffff_ffffL);
  }

  private static String key(String env) {
    int eq = env.indexOf('=');
    return eq < 0 ? env : env.substring(0, eq);
  }

  /** MPS keys are per claim (one daemon), so each repeats once per MPS device after the first. */
  private static int sharedMpsKeys(List<String> keys) {
    int repeats = 0;
    for (String shared : List.of("CUDA_MPS_PIPE_DIRECTORY", "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE")) {
      long n = keys.stream().filter(shared::equals).count();
      repeats += (int) Math.max(0, n - 1);
    }
    return repeats;
  }
}
