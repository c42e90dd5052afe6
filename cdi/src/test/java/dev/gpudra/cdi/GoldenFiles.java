package dev.gpudra.cdi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Compares output with the files under {@code src/test/resources/golden/}. Run the tests with
 * {@code -Dgpudra.updateGolden=true} to rewrite them after an intended change, then review the
 * diff.
 */
final class GoldenFiles {
  private GoldenFiles() {}

  static void assertMatches(String name, String actual) {
    if (Boolean.getBoolean("gpudra.updateGolden")) {
      try {
        Path file = Path.of("src/test/resources/golden", name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, actual, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return;
    }
    try (InputStream in = GoldenFiles.class.getResourceAsStream("/golden/" + name)) {
      assertThat(in)
          .as("golden file %s (create it with -Dgpudra.updateGolden=true)", name)
          .isNotNull();
      String expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(actual).as("output differs from golden/%s", name).isEqualTo(expected);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
