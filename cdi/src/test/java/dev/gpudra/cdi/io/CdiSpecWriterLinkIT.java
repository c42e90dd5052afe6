package dev.gpudra.cdi.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.cdi.CdiNames;
import dev.gpudra.cdi.ClaimSpec;
import dev.gpudra.cdi.ClaimSpecBuilder;
import dev.gpudra.cdi.Fixtures;
import dev.gpudra.cdi.spec.CdiJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Somebody who can plant symbolic links in the CDI directory must not make the writer write or
 * delete anything outside it: a file outside stays byte-for-byte unchanged, a directory outside
 * stays empty.
 */
class CdiSpecWriterLinkIT {

  private static final String OUTSIDE_CONTENT = "root:x:0:0:root:/root:/bin/bash\n";

  @TempDir Path tmp;

  private final ClaimSpecBuilder builder = Fixtures.builder();
  private Path outsideFile;
  private Path outsideDir;

  @BeforeEach
  void plantTargetsOutside() throws IOException {
    outsideFile = Files.writeString(tmp.resolve("passwd"), OUTSIDE_CONTENT);
    outsideDir = Files.createDirectories(tmp.resolve("elsewhere"));
  }

  private Path root() throws IOException {
    return Files.createDirectories(tmp.resolve("cdi"));
  }

  private ClaimSpec spec(String uid) {
    return builder.build(uid, List.of(Fixtures.a100Full()));
  }

  @Test
  void aLinkAtTheSpecNameToAFileOutsideIsReplacedNotWrittenThrough() throws IOException {
    ClaimSpec spec = spec(Fixtures.A100_FULL_CLAIM);
    Path name = root().resolve(spec.fileName());
    Files.createSymbolicLink(name, outsideFile);

    new CdiSpecWriter(root()).write(spec);

    assertThat(outsideFile).hasContent(OUTSIDE_CONTENT);
    assertThat(Files.isRegularFile(name, LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(CdiJson.decode(Files.readAllBytes(name))).isEqualTo(spec.spec());
  }

  @Test
  void aLinkAtTheSpecNameToADirectoryOutsideIsReplacedNotWrittenInto() throws IOException {
    ClaimSpec spec = spec(Fixtures.A100_FULL_CLAIM);
    Path name = root().resolve(spec.fileName());
    Files.createSymbolicLink(name, outsideDir);

    new CdiSpecWriter(root()).write(spec);

    assertThat(listing(outsideDir)).isEmpty();
    assertThat(Files.isRegularFile(name, LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  @Test
  void linksAtEveryFormerlyPredictableTemporaryNameAreNeverFollowed() throws IOException {
    ClaimSpec spec = spec(Fixtures.A100_MIG_CLAIM);
    String pidThread = ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId();
    Files.createSymbolicLink(
        root().resolve("." + spec.fileName() + "." + pidThread + ".tmp"), outsideFile);
    Files.createSymbolicLink(root().resolve("." + spec.fileName() + ".tmp"), outsideDir);

    new CdiSpecWriter(root()).write(spec);

    assertThat(outsideFile).hasContent(OUTSIDE_CONTENT);
    assertThat(listing(outsideDir)).isEmpty();
    assertThat(CdiJson.decode(Files.readAllBytes(root().resolve(spec.fileName()))))
        .isEqualTo(spec.spec());
  }

  @Test
  void deletingASpecWhoseNameIsALinkRemovesOnlyTheLink() throws IOException {
    Path name = root().resolve(CdiNames.specFileName(Fixtures.A100_FULL_CLAIM));
    Files.createSymbolicLink(name, outsideFile);
    Path dirLink = root().resolve(CdiNames.specFileName(Fixtures.A100_MIG_CLAIM));
    Files.writeString(outsideDir.resolve("keep"), "keep");
    Files.createSymbolicLink(dirLink, outsideDir);
    CdiSpecWriter writer = new CdiSpecWriter(root());

    writer.delete(Fixtures.A100_FULL_CLAIM);
    writer.delete(Fixtures.A100_MIG_CLAIM);

    assertThat(outsideFile).hasContent(OUTSIDE_CONTENT);
    assertThat(listing(outsideDir)).containsExactly("keep");
    assertThat(listing(root())).isEmpty();
  }

  @Test
  void linksAreNeitherListedNorTreatedAsLeftovers() throws IOException {
    String specName = CdiNames.specFileName(Fixtures.A100_FULL_CLAIM);
    Files.createSymbolicLink(root().resolve(specName), outsideFile);
    Files.createSymbolicLink(root().resolve("." + specName + ".1-1.tmp"), outsideFile);
    CdiSpecWriter writer = new CdiSpecWriter(root());

    assertThat(writer.listClaimUids()).isEmpty();
    assertThat(writer.removeLeftoverTemporaryFiles()).isZero();

    assertThat(outsideFile).hasContent(OUTSIDE_CONTENT);
  }

  @Test
  void aCdiDirectoryReachedThroughALinkKeepsWorking() throws IOException {
    // An admin may point the CDI directory at a path that is itself a link.
    Path real = Files.createDirectories(tmp.resolve("real-cdi"));
    Path link = Files.createSymbolicLink(tmp.resolve("cdi-link"), real);
    CdiSpecWriter writer = new CdiSpecWriter(link);
    ClaimSpec spec = spec(Fixtures.A100_FULL_CLAIM);

    writer.write(spec);

    assertThat(listing(real)).containsExactly(spec.fileName());
    assertThat(writer.listClaimUids()).containsExactly(Fixtures.A100_FULL_CLAIM);
    assertThat(writer.delete(Fixtures.A100_FULL_CLAIM)).isTrue();
    assertThat(listing(real)).isEmpty();
  }

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
