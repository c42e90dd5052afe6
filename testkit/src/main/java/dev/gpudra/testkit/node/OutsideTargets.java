package dev.gpudra.testkit.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a symlink planted by another tenant points at: a file and a directory outside the roots
 * under test. Code that followed such a link would change the file's content or create an entry in
 * the directory, so a test asserts that the file still holds its content and the directory stays
 * empty.
 *
 * @param file a file outside the roots, holding known content
 * @param dir an empty directory outside the roots
 */
public record OutsideTargets(Path file, Path dir) {

  /**
   * Creates {@code base/fileName} holding {@code content} and the empty directory {@code
   * base/elsewhere}.
   */
  public static OutsideTargets create(Path base, String fileName, String content)
      throws IOException {
    return new OutsideTargets(
        Files.writeString(base.resolve(fileName), content),
        Files.createDirectories(base.resolve("elsewhere")));
  }

  /** The sorted names of the entries of {@code dir}. */
  public static List<String> names(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
