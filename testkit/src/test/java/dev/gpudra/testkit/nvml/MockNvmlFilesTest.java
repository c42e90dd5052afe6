package dev.gpudra.testkit.nvml;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MockNvmlFilesTest {

  @TempDir Path tmp;

  @Test
  void writesTheLibraryItsProfilesAndTheHeaderOnce() throws Exception {
    Path dir = MockNvmlFiles.materialise(tmp);

    assertThat(dir.resolve(MockNvmlFiles.LIBRARY)).isRegularFile().isNotEmptyFile();
    assertThat(Files.readSymbolicLink(dir.resolve("libnvidia-ml.so")))
        .isEqualTo(Path.of(MockNvmlFiles.LIBRARY));
    for (String profile : MockNvml.BUILT_IN_PROFILES) {
      assertThat(dir.resolve("profiles").resolve(profile + ".profile")).isRegularFile();
    }
    assertThat(dir.resolve("include/nvml.h")).content().contains("nvmlDeviceGetCount_v2");
    assertThat(MockNvmlFiles.materialise(tmp)).isEqualTo(dir);
  }

  @Test
  void concurrentCallersShareOneCompleteDirectoryAndLeaveNoStagingBehind() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<Path>> calls =
          IntStream.range(0, 8)
              .<Callable<Path>>mapToObj(i -> () -> MockNvmlFiles.materialise(tmp))
              .toList();
      List<Path> dirs = pool.invokeAll(calls).stream().map(MockNvmlFilesTest::get).toList();

      assertThat(dirs).containsOnly(dirs.get(0));
      try (Stream<Path> entries = Files.list(tmp)) {
        assertThat(entries).containsExactly(dirs.get(0));
      }
      assertThat(dirs.get(0).resolve(MockNvmlFiles.LIBRARY)).isRegularFile();
    } finally {
      pool.shutdownNow();
    }
  }

  private static Path get(Future<Path> future) {
    try {
      return future.get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
