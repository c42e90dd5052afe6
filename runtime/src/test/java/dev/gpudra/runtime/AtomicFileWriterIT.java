package dev.gpudra.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AtomicFileWriterIT {

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  @TempDir Path tmp;

  private Path dir() throws IOException {
    return Files.createDirectories(tmp.resolve("dir"));
  }

  @Test
  void writesANewFileAndLeavesNoTemporaryFile() throws IOException {
    Path target = dir().resolve("state");

    AtomicFileWriter.write(target, bytes("one"), OWNER_ONLY);

    assertThat(target).hasContent("one");
    assertThat(listing(dir())).containsExactly("state");
  }

  @Test
  void replacesAnExistingFileWhole() throws IOException {
    Path target = dir().resolve("state");
    Files.writeString(target, "a much longer old content");

    AtomicFileWriter.write(target, bytes("new"), OWNER_ONLY);

    assertThat(target).hasContent("new");
  }

  // The writer skips its chmod when it expects the create mode to come through the umask whole:
  // that expectation must be what the kernel does, for modes it keeps and modes it cuts.
  @ParameterizedTest
  @ValueSource(strings = {"rw-------", "rw-r-----", "rw-rw----", "rw-rw-rw-", "rwxrwxrwx"})
  void expectsTheCreateModeWholeExactlyWhenTheKernelLeavesItWhole(String mode) throws IOException {
    Set<PosixFilePermission> requested = PosixFilePermissions.fromString(mode);
    Path created =
        Files.createFile(
            dir().resolve("probe-" + mode), PosixFilePermissions.asFileAttribute(requested));

    boolean whole = Files.getPosixFilePermissions(created).equals(requested);

    assertThat(AtomicFileWriter.createModeExact(requested)).isEqualTo(whole);
  }

  @Test
  void readsTheUmaskFromTheProcessStatusAndModeBitsAsChmodTakesThem() {
    assertThat(AtomicFileWriter.parseUmask("Name:\tjava\nUmask:\t0027\nState:\tR\n"))
        .isEqualTo(027);
    assertThat(AtomicFileWriter.parseUmask("Name:\tjava\nState:\tR\n")).isEqualTo(-1);
    assertThat(AtomicFileWriter.parseUmask("Umask:\tnone\n")).isEqualTo(-1);
    assertThat(AtomicFileWriter.modeBits(PosixFilePermissions.fromString("rw-r-----")))
        .isEqualTo(0640);
    assertThat(AtomicFileWriter.modeBits(PosixFilePermissions.fromString("rwxr-x--x")))
        .isEqualTo(0751);
  }

  @ParameterizedTest
  @ValueSource(strings = {"rw-------", "rw-r-----", "rw-rw----"})
  void setsExactlyTheRequestedModeWhateverTheUmask(String mode) throws IOException {
    // rw-rw---- is more than the usual umask 022 lets through: the mode is set, not masked.
    Path target = dir().resolve("spec.json");

    AtomicFileWriter.write(target, bytes("{}"), PosixFilePermissions.fromString(mode));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
        .isEqualTo(mode);
  }

  @Test
  void aFailedRenameLeavesTheOldTargetAndNoTemporaryFile() throws IOException {
    // A non-empty directory cannot be replaced by a file: the rename fails after the temporary
    // file was written and synced.
    Path target = dir().resolve("state");
    Files.createDirectories(target.resolve("child"));

    assertThatThrownBy(() -> AtomicFileWriter.write(target, bytes("new"), OWNER_ONLY))
        .isInstanceOf(IOException.class);

    assertThat(listing(dir())).containsExactly("state");
    assertThat(target.resolve("child")).isDirectory();
  }

  @Test
  void aLinkPlantedAtTheTargetToAFileOutsideIsReplacedNotFollowed() throws IOException {
    Path outside = Files.writeString(tmp.resolve("passwd"), "root:x:0:0\n");
    Path target = dir().resolve("state");
    Files.createSymbolicLink(target, outside);

    AtomicFileWriter.write(target, bytes("new"), OWNER_ONLY);

    assertThat(outside).hasContent("root:x:0:0\n");
    assertThat(Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(target).hasContent("new");
  }

  @Test
  void publishReplacesWholeWithTheExactModeAndLeavesNoTemporaryFile() throws IOException {
    Path target = dir().resolve("spec.json");
    Files.writeString(target, "a much longer old content");

    AtomicFileWriter.publish(target, bytes("{}"), PosixFilePermissions.fromString("rw-r-----"));

    assertThat(target).hasContent("{}");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
        .isEqualTo("rw-r-----");
    assertThat(listing(dir())).containsExactly("spec.json");
  }

  @Test
  void publishReplacesALinkPlantedAtTheTargetAndNeverWritesThroughIt() throws IOException {
    Path outside = Files.writeString(tmp.resolve("passwd"), "root:x:0:0\n");
    Path target = dir().resolve("spec.json");
    Files.createSymbolicLink(target, outside);

    AtomicFileWriter.publish(target, bytes("{}"), OWNER_ONLY);

    assertThat(outside).hasContent("root:x:0:0\n");
    assertThat(Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(target).hasContent("{}");
  }

  @Test
  void aFailedPublishLeavesTheOldTargetAndNoTemporaryFile() throws IOException {
    Path target = dir().resolve("spec.json");
    Files.createDirectories(target.resolve("child"));

    assertThatThrownBy(() -> AtomicFileWriter.publish(target, bytes("{}"), OWNER_ONLY))
        .isInstanceOf(IOException.class);

    assertThat(listing(dir())).containsExactly("spec.json");
  }

  @Test
  void aLinkPlantedAtTheTargetToADirectoryOutsideIsReplacedNotFollowed() throws IOException {
    Path outside = Files.createDirectories(tmp.resolve("elsewhere"));
    Path target = dir().resolve("state");
    Files.createSymbolicLink(target, outside);

    AtomicFileWriter.write(target, bytes("new"), OWNER_ONLY);

    assertThat(listing(outside)).isEmpty();
    assertThat(Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  @Test
  void linksAtTheOldPredictableTemporaryNamesAreNeverWrittenThrough() throws IOException {
    // Before, the temporary names were .<target>.tmp and .<target>.<pid>-<thread>.tmp.
    Path outsideFile = Files.writeString(tmp.resolve("shadow"), "secret\n");
    Path outsideDir = Files.createDirectories(tmp.resolve("elsewhere"));
    Path target = dir().resolve("state");
    Files.createSymbolicLink(dir().resolve(".state.tmp"), outsideFile);
    Files.createSymbolicLink(
        dir()
            .resolve(
                ".state."
                    + ProcessHandle.current().pid()
                    + "-"
                    + Thread.currentThread().threadId()
                    + ".tmp"),
        outsideDir);

    AtomicFileWriter.write(target, bytes("new"), OWNER_ONLY);

    assertThat(outsideFile).hasContent("secret\n");
    assertThat(listing(outsideDir)).isEmpty();
    assertThat(target).hasContent("new");
  }

  @Test
  void aDirectoryReachedThroughALinkKeepsWorking() throws IOException {
    Path real = Files.createDirectories(tmp.resolve("real"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);

    AtomicFileWriter.write(link.resolve("state"), bytes("one"), OWNER_ONLY);

    assertThat(real.resolve("state")).hasContent("one");
    assertThat(listing(real)).containsExactly("state");
  }

  @Test
  void recognisesOnlyItsOwnTemporaryNames() {
    String random = "0123456789abcdef0123456789abcdef";

    assertThat(AtomicFileWriter.targetOfTemporaryName(".state." + random + ".tmp"))
        .contains("state");
    assertThat(AtomicFileWriter.targetOfTemporaryName(".a.json." + random + ".tmp"))
        .contains("a.json");
    assertThat(AtomicFileWriter.isTemporaryName(".state." + random + ".tmp", "state")).isTrue();
    assertThat(AtomicFileWriter.isTemporaryName(".state." + random + ".tmp", "other")).isFalse();
    for (String other :
        List.of("state", ".state.tmp", ".state.42-7.tmp", "." + random + ".tmp", "x.tmp")) {
      assertThat(AtomicFileWriter.targetOfTemporaryName(other)).as(other).isEmpty();
    }
  }

  @Test
  void removesLeftoverTemporaryFilesAndLinksButNothingElse() throws IOException {
    Path outside = Files.writeString(tmp.resolve("keep"), "keep\n");
    Path target = dir().resolve("state");
    Files.writeString(target, "current");
    Files.writeString(dir().resolve(".state.0123456789abcdef0123456789abcdef.tmp"), "half");
    Files.createSymbolicLink(dir().resolve(".state.fedcba9876543210fedcba9876543210.tmp"), outside);
    Files.writeString(dir().resolve(".other.0123456789abcdef0123456789abcdef.tmp"), "x");
    Files.writeString(dir().resolve(".state.tmp"), "x");

    assertThat(AtomicFileWriter.removeLeftoverTemporaryFiles(target)).isEqualTo(2);

    assertThat(listing(dir()))
        .containsExactly(".other.0123456789abcdef0123456789abcdef.tmp", ".state.tmp", "state");
    assertThat(outside).hasContent("keep\n");
  }

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
