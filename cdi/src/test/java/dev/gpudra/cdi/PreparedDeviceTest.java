package dev.gpudra.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PreparedDeviceTest {
  private static final Sharing EXCLUSIVE = Sharing.exclusive();
  private static final String GPU = Fixtures.A100_UUID;
  private static final String MIG = Fixtures.A100_MIG_UUID;

  static Stream<Arguments> rejected() {
    return Stream.<Arguments>of(
        Arguments.of(
            "GPU minor 254 is modeset",
            (Supplier<?>) () -> new PreparedDevice.FullGpu("gpu-254", 254, GPU, EXCLUSIVE),
            "GPU minor"),
        Arguments.of(
            "negative GPU minor",
            (Supplier<?>) () -> new PreparedDevice.FullGpu("gpu-0", -1, GPU, EXCLUSIVE),
            "GPU minor"),
        Arguments.of(
            "UUID without GPU- prefix",
            (Supplier<?>) () -> new PreparedDevice.FullGpu("gpu-0", 0, GPU.substring(4), EXCLUSIVE),
            "invalid GPU UUID"),
        Arguments.of(
            "MIG UUID as GPU UUID",
            (Supplier<?>) () -> new PreparedDevice.FullGpu("gpu-0", 0, MIG, EXCLUSIVE),
            "invalid GPU UUID"),
        Arguments.of(
            "no sharing",
            (Supplier<?>) () -> new PreparedDevice.FullGpu("gpu-0", 0, GPU, null),
            "sharing"),
        Arguments.of(
            "GPU UUID as MIG UUID",
            (Supplier<?>)
                () -> new PreparedDevice.MigDevice("m", 0, GPU, GPU, 1, 0, 12, 13, EXCLUSIVE),
            "invalid MIG UUID"),
        Arguments.of(
            "one cap minor for GI and CI",
            (Supplier<?>)
                () -> new PreparedDevice.MigDevice("m", 0, GPU, MIG, 1, 0, 12, 12, EXCLUSIVE),
            "must differ"),
        Arguments.of(
            "cap minor past 20 bits",
            (Supplier<?>)
                () -> new PreparedDevice.MigDevice("m", 0, GPU, MIG, 1, 0, 1 << 20, 13, EXCLUSIVE),
            "out of range"),
        Arguments.of(
            "negative GI id",
            (Supplier<?>)
                () -> new PreparedDevice.MigDevice("m", 0, GPU, MIG, -1, 0, 12, 13, EXCLUSIVE),
            "negative GI/CI"),
        Arguments.of(
            "MPS percentage 0", (Supplier<?>) () -> new Sharing.Mps("/p", "/s", 0), "1..100"),
        Arguments.of(
            "MPS percentage 101", (Supplier<?>) () -> new Sharing.Mps("/p", "/s", 101), "1..100"),
        Arguments.of(
            "relative MPS pipe directory",
            (Supplier<?>) () -> new Sharing.Mps("p", "/s", null),
            "hostPipeDirectory"),
        Arguments.of(
            "time-slicing without interval",
            (Supplier<?>) () -> Sharing.timeSlicing(null),
            "interval"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejected")
  void rejectsInvalidDevicesAndSharing(String why, Supplier<?> construct, String message) {
    assertThatThrownBy(construct::get)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void acceptsTheOlderMigUuidForm() {
    String old = "MIG-" + GPU + "/7/0";

    assertThat(new PreparedDevice.MigDevice("m", 0, GPU, old, 7, 0, 66, 67, EXCLUSIVE).uuid())
        .isEqualTo(old);
  }

  @Test
  void aClaimSpecMustCarryItsOwnFileName() {
    ClaimSpec real =
        Fixtures.builder().build(Fixtures.A100_FULL_CLAIM, List.of(Fixtures.a100Full()));

    assertThatThrownBy(
            () ->
                new ClaimSpec(Fixtures.A100_MIG_CLAIM, real.fileName(), real.spec(), real.cdiIds()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
