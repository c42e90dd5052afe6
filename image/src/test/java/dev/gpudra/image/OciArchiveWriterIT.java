package dev.gpudra.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive writer on small trees: what makes a digest (contents, names, the executable bit) and
 * what must not (file times, the order files were created in, the umask), and names longer than the
 * ustar fields, read back by GNU tar as a runtime's unpacker would.
 */
class OciArchiveWriterIT {
  @TempDir Path work;

  private static final String LONG_DIR =
      "opt/" + "a-rather-long-directory-name/".repeat(6) + "and-a-file-name-that-is-long-too";

  private Path tree(String name, boolean reversed, long mtime, String fileMode) throws IOException {
    Path root = work.resolve(name);
    List<String> files = List.of("etc/passwd", "app/lib/a.jar", "app/lib/b.jar", LONG_DIR + "/x");
    for (String f : reversed ? files.reversed() : files) {
      Path p = root.resolve(f);
      Files.createDirectories(p.getParent());
      Files.writeString(p, "contents of " + f);
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(fileMode));
      Files.setLastModifiedTime(p, FileTime.fromMillis(mtime));
    }
    Path bin = Files.createDirectories(root.resolve("usr/local/bin"));
    Files.writeString(bin.resolve("tool"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(
        bin.resolve("tool"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.createSymbolicLink(
        root.resolve("usr/local/bin/long-link"), Path.of("/" + LONG_DIR + "/x"));
    return root;
  }

  private OciArchiveWriter.Result write(String name, Path root) throws IOException {
    ImageSpec spec =
        new ImageSpec(
            ImageReference.parse("gpudra/gpudra:0.1.0"),
            "65532:65532",
            List.of("PATH=/usr/bin"),
            Map.of("b", "2", "a", "1"),
            List.of(new ImageSpec.Layer("only", List.of(root))));
    return OciArchiveWriter.write(
        spec, work.resolve(name + ".tar"), work.resolve(name + "-scratch"));
  }

  @Test
  void timesCreationOrderAndUmaskDoNotChangeTheArchive() throws IOException {
    OciArchiveWriter.Result first = write("first", tree("one", false, 1_000_000L, "rw-r--r--"));
    OciArchiveWriter.Result second = write("second", tree("two", true, 9_000_000L, "rw-rw----"));

    assertThat(second.manifestDigest()).isEqualTo(first.manifestDigest());
    assertThat(Files.mismatch(first.archive(), second.archive())).isEqualTo(-1L);
  }

  @Test
  void contentsChangeTheDigest() throws IOException {
    Path root = tree("one", false, 0, "rw-r--r--");
    OciArchiveWriter.Result before = write("before", root);
    Files.writeString(root.resolve("app/lib/a.jar"), "other contents");

    assertThat(write("after", root).manifestDigest()).isNotEqualTo(before.manifestDigest());
  }

  @Test
  void longNamesLinksAndModesSurviveGnuTar() throws Exception {
    OciArchiveWriter.Result result = write("img", tree("one", false, 0, "rw-------"));
    Path layer =
        work.resolve("img-scratch").resolve("layer-only.tar"); // the blob the archive carries
    Path out = Files.createDirectories(work.resolve("unpacked"));

    Process tar =
        new ProcessBuilder("tar", "-xf", layer.toString(), "-C", out.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(tar.waitFor(1, TimeUnit.MINUTES)).isTrue();

    assertThat(new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
    assertThat(tar.exitValue()).isZero();
    assertThat(Files.readString(out.resolve(LONG_DIR + "/x")))
        .isEqualTo("contents of " + LONG_DIR + "/x");
    assertThat(Files.readSymbolicLink(out.resolve("usr/local/bin/long-link")))
        .isEqualTo(Path.of("/" + LONG_DIR + "/x"));
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("etc/passwd"))))
        .isEqualTo("rw-r--r--");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(out.resolve("usr/local/bin/tool"))))
        .isEqualTo("rwxr-xr-x");
    assertThat(result.layers()).hasSize(1);
  }

  @Test
  void twoSourcesMayShareDirectoriesButNotFiles() throws IOException {
    Path a = tree("a", false, 0, "rw-r--r--");
    Path b = Files.createDirectories(work.resolve("b/app/lib"));
    Files.writeString(b.resolve("c.jar"), "c");
    Path clash = Files.createDirectories(work.resolve("clash/etc"));
    Files.writeString(clash.resolve("passwd"), "other");

    assertThat(LayerContents.read(List.of(a, work.resolve("b"))))
        .extracting(LayerEntry::path)
        .contains("app/lib/a.jar", "app/lib/c.jar");
    assertThatThrownBy(() -> LayerContents.read(List.of(a, work.resolve("clash"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/etc/passwd");
  }
}
