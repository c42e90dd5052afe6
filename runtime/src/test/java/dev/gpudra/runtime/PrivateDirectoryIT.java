package dev.gpudra.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateDirectoryIT {

  @TempDir Path tmp;

  @Test
  void createsEveryMissingLevelWithExactlyTheMode() throws IOException {
    // rwxrwx--- is more than the usual umask 022 lets through: the mode is set, not masked.
    Path dir = tmp.resolve("a").resolve("b").resolve("c");

    assertThat(PrivateDirectory.create(dir, PosixFilePermissions.fromString("rwxrwx---"))).isTrue();

    for (Path level : new Path[] {tmp.resolve("a"), tmp.resolve("a/b"), dir}) {
      assertThat(mode(level)).as("%s", level).isEqualTo("rwxrwx---");
    }
  }

  @Test
  void existingLevelsKeepTheirMode() throws IOException {
    Path parent = Files.createDirectories(tmp.resolve("shared"));
    Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxr-xr-x"));

    PrivateDirectory.create(parent.resolve("ours"), PosixFilePermissions.fromString("rwx------"));

    assertThat(mode(parent)).isEqualTo("rwxr-xr-x");
    assertThat(mode(parent.resolve("ours"))).isEqualTo("rwx------");
    assertThat(PrivateDirectory.create(parent, PosixFilePermissions.fromString("rwx------")))
        .isFalse();
    assertThat(mode(parent)).isEqualTo("rwxr-xr-x");
  }

  @Test
  void aDirectoryReachedThroughALinkIsUsedAsItIs() throws IOException {
    Path real = Files.createDirectories(tmp.resolve("real"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);

    assertThat(PrivateDirectory.create(link, PosixFilePermissions.fromString("rwx------")))
        .isFalse();
    PrivateDirectory.create(link.resolve("sub"), PosixFilePermissions.fromString("rwx------"));

    assertThat(real.resolve("sub")).isDirectory();
  }

  @Test
  void refusesAModeThatGrantsOthersAccess() {
    assertThatThrownBy(
            () ->
                PrivateDirectory.create(
                    tmp.resolve("x"), PosixFilePermissions.fromString("rwxr-xr-x")))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(tmp.resolve("x")).doesNotExist();
  }

  @Test
  void removesOnlyTheOthersBitsOfAnExistingDirectory() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("plugin"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxr-x"));

    assertThat(PrivateDirectory.removeOthersAccess(dir)).isTrue();
    assertThat(mode(dir)).isEqualTo("rwxrwx---");
    assertThat(PrivateDirectory.removeOthersAccess(dir)).isFalse();
    assertThat(mode(dir)).isEqualTo("rwxrwx---");
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
