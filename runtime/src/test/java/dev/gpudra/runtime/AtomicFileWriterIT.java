package dev.gpudra.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileWriterIT {

  @TempDir Path dir;

  @Test
  void writesANewFileAndLeavesNoTemporaryFile() throws IOException {
    Path target = dir.resolve("state");

    AtomicFileWriter.write(target, dir.resolve(".state.tmp"), bytes("one"));

    assertThat(target).hasContent("one");
    assertThat(dir.resolve(".state.tmp")).doesNotExist();
  }

  @Test
  void replacesAnExistingFileWhole() throws IOException {
    Path target = dir.resolve("state");
    Files.writeString(target, "a much longer old content");

    AtomicFileWriter.write(target, dir.resolve(".state.tmp"), bytes("new"));

    assertThat(target).hasContent("new");
  }

  @Test
  void setsTheRequestedMode() throws IOException {
    Path target = dir.resolve("spec.json");

    AtomicFileWriter.write(
        target,
        dir.resolve(".spec.tmp"),
        bytes("{}"),
        PosixFilePermissions.fromString("rw-r--r--"));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void aFailedRenameLeavesTheOldTargetAndNoTemporaryFile() throws IOException {
    // A non-empty directory cannot be replaced by a file: the rename fails after the temporary
    // file was written and synced.
    Path target = dir.resolve("state");
    Files.createDirectories(target.resolve("child"));
    Path temp = dir.resolve(".state.tmp");

    assertThatThrownBy(() -> AtomicFileWriter.write(target, temp, bytes("new")))
        .isInstanceOf(IOException.class);

    assertThat(temp).doesNotExist();
    assertThat(target.resolve("child")).isDirectory();
  }

  @Test
  void aTemporaryFileOutsideTheTargetDirectoryIsRefusedBeforeAnyWrite() throws IOException {
    Path other = Files.createDirectories(dir.resolve("other"));
    Path temp = other.resolve(".state.tmp");

    assertThatThrownBy(() -> AtomicFileWriter.write(dir.resolve("state"), temp, bytes("x")))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(temp).doesNotExist();
    assertThat(dir.resolve("state")).doesNotExist();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
