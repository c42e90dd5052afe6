package dev.gpudra.cdi.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.cdi.CdiNames;
import dev.gpudra.cdi.ClaimSpec;
import dev.gpudra.cdi.ClaimSpecBuilder;
import dev.gpudra.cdi.Fixtures;
import dev.gpudra.cdi.spec.CdiJson;
import dev.gpudra.testkit.node.OutsideTargets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
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
  private OutsideTargets outside;

  @BeforeEach
  void plantTargetsOutside() throws IOException {
    outside = OutsideTargets.create(tmp, "passwd", OUTSIDE_CONTENT);
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
    Files.createSymbolicLink(name, outside.file());

    new CdiSpecWriter(root()).write(spec);

    assertThat(outside.file()).hasContent(OUTSIDE_CONTENT);
    assertThat(Files.isRegularFile(name, LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(CdiJson.decode(Files.readAllBytes(name))).isEqualTo(spec.spec());
  }

  @Test
  void aLinkAtTheSpecNameToADirectoryOutsideIsReplacedNotWrittenInto() throws IOException {
    ClaimSpec spec = spec(Fixtures.A100_FULL_CLAIM);
    Path name = root().resolve(spec.fileName());
    Files.createSymbolicLink(name, outside.dir());

    new CdiSpecWriter(root()).write(spec);

    assertThat(OutsideTargets.names(outside.dir())).isEmpty();
    assertThat(Files.isRegularFile(name, LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  @Test
  void linksAtEveryFormerlyPredictableTemporaryNameAreNeverFollowed() throws IOException {
    ClaimSpec spec = spec(Fixtures.A100_MIG_CLAIM);
    String pidThread = ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId();
    Files.createSymbolicLink(
        root().resolve("." + spec.fileName() + "." + pidThread + ".tmp"), outside.file());
    Files.createSymbolicLink(root().resolve("." + spec.fileName() + ".tmp"), outside.dir());

    new CdiSpecWriter(root()).write(spec);

    assertThat(outside.file()).hasContent(OUTSIDE_CONTENT);
    assertThat(OutsideTargets.names(outside.dir())).isEmpty();
    assertThat(CdiJson.decode(Files.readAllBytes(root().resolve(spec.fileName()))))
        .isEqualTo(spec.spec());
  }

  @Test
  void deletingASpecWhoseNameIsALinkRemovesOnlyTheLink() throws IOException {
    Path name = root().resolve(CdiNames.specFileName(Fixtures.A100_FULL_CLAIM));
    Files.createSymbolicLink(name, outside.file());
    Path dirLink = root().resolve(CdiNames.specFileName(Fixtures.A100_MIG_CLAIM));
    Files.writeString(outside.dir().resolve("keep"), "keep");
    Files.createSymbolicLink(dirLink, outside.dir());
    CdiSpecWriter writer = new CdiSpecWriter(root());

    writer.delete(Fixtures.A100_FULL_CLAIM);
    writer.delete(Fixtures.A100_MIG_CLAIM);

    assertThat(outside.file()).hasContent(OUTSIDE_CONTENT);
    assertThat(OutsideTargets.names(outside.dir())).containsExactly("keep");
    assertThat(OutsideTargets.names(root())).isEmpty();
  }

  @Test
  void linksAreNeitherListedNorTreatedAsLeftovers() throws IOException {
    String specName = CdiNames.specFileName(Fixtures.A100_FULL_CLAIM);
    Files.createSymbolicLink(root().resolve(specName), outside.file());
    Files.createSymbolicLink(root().resolve("." + specName + ".1-1.tmp"), outside.file());
    CdiSpecWriter writer = new CdiSpecWriter(root());

    assertThat(writer.listClaimUids()).isEmpty();
    assertThat(writer.removeLeftoverTemporaryFiles()).isZero();

    assertThat(outside.file()).hasContent(OUTSIDE_CONTENT);
  }

  @Test
  void aCdiDirectoryReachedThroughALinkKeepsWorking() throws IOException {
    // An admin may point the CDI directory at a path that is itself a link.
    Path real = Files.createDirectories(tmp.resolve("real-cdi"));
    Path link = Files.createSymbolicLink(tmp.resolve("cdi-link"), real);
    CdiSpecWriter writer = new CdiSpecWriter(link);
    ClaimSpec spec = spec(Fixtures.A100_FULL_CLAIM);

    writer.write(spec);

    assertThat(OutsideTargets.names(real)).containsExactly(spec.fileName());
    assertThat(writer.listClaimUids()).containsExactly(Fixtures.A100_FULL_CLAIM);
    assertThat(writer.delete(Fixtures.A100_FULL_CLAIM)).isTrue();
    assertThat(OutsideTargets.names(real)).isEmpty();
  }
}
