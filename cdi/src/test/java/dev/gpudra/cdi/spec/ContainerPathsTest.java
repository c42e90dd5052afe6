package dev.gpudra.cdi.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ContainerPathsTest {
  @ParameterizedTest
  @ValueSource(strings = {"/", "/dev/nvidia0", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/a b/c"})
  void acceptsPlainAbsolutePaths(String path) {
    assertThat(ContainerPaths.requireAbsolute(path, "p")).isEqualTo(path);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "dev/nvidia0",
        "./dev",
        "/dev/../etc",
        "/dev/./nvidia0",
        "/dev//nvidia0",
        "/dev/",
        "/..",
        "/dev/nvidia0\u0000",
        "/dev/\nx"
      })
  void rejectsRelativeOrUnnormalisedPaths(String path) {
    assertThatThrownBy(() -> ContainerPaths.requireAbsolute(path, "device node path"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("device node path");
  }

  @ParameterizedTest
  @CsvSource({
    "/, /usr/bin/nvidia-smi, /usr/bin/nvidia-smi",
    "/run/nvidia/driver, /usr/bin/x, /run/nvidia/driver/usr/bin/x"
  })
  void joinsAHostRootAndAPathBelowIt(String root, String path, String joined) {
    assertThat(ContainerPaths.join(root, path)).isEqualTo(joined);
  }
}
