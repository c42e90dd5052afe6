package dev.gpudra.cdi.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.cdi.CdiNames;
import dev.gpudra.cdi.ClaimSpec;
import dev.gpudra.cdi.ClaimSpecBuilder;
import dev.gpudra.cdi.Fixtures;
import dev.gpudra.cdi.PreparedDevice;
import dev.gpudra.cdi.Sharing;
import dev.gpudra.cdi.spec.CdiJson;
import dev.gpudra.core.config.TimeSliceInterval;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CdiSpecWriterIT {
  @TempDir Path tmp;

  private final ClaimSpecBuilder builder = Fixtures.builder();

  private Path root() {
    return tmp.resolve("cdi");
  }

  private ClaimSpec a100(String uid) {
    return builder.build(uid, List.of(Fixtures.a100Full()));
  }

  @Test
  void writesTheSpecUnderItsClaimFileNameReadableByTheRuntimeOnly() throws IOException {
    CdiSpecWriter writer = new CdiSpecWriter(root());
    ClaimSpec spec = a100(Fixtures.A100_FULL_CLAIM);

    Path written = writer.write(spec);

    assertThat(written).isEqualTo(root().resolve(spec.fileName()));
    assertThat(CdiJson.decode(Files.readAllBytes(written))).isEqualTo(spec.spec());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(written)))
        .isEqualTo("rw-r-----");
    assertThat(listing()).containsExactly(spec.fileName());
  }

  @Test
  void createsAMissingCdiDirectoryWithoutAccessForOthers() throws IOException {
    new CdiSpecWriter(root()).write(a100(Fixtures.A100_FULL_CLAIM));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root())))
        .isEqualTo("rwxr-x---");
  }

  @Test
  void anExistingCdiDirectoryKeepsItsMode() throws IOException {
    // /var/run/cdi holds other vendors' specs too; its mode is the node's choice.
    Files.createDirectories(root());
    Files.setPosixFilePermissions(root(), PosixFilePermissions.fromString("rwxr-xr-x"));

    new CdiSpecWriter(root()).write(a100(Fixtures.A100_FULL_CLAIM));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root())))
        .isEqualTo("rwxr-xr-x");
  }

  @Test
  void rewritingReplacesTheSpecAndLeavesNoTemporaryFile() throws IOException {
    CdiSpecWriter writer = new CdiSpecWriter(root());
    writer.write(a100(Fixtures.A100_FULL_CLAIM));
    ClaimSpec shared =
        builder.build(
            Fixtures.A100_FULL_CLAIM,
            List.of(
                new PreparedDevice.FullGpu(
                    "gpu-0", 0, Fixtures.A100_UUID, Sharing.timeSlicing(TimeSliceInterval.SHORT))));

    Path written = writer.write(shared);

    assertThat(CdiJson.decode(Files.readAllBytes(written))).isEqualTo(shared.spec());
    assertThat(listing()).containsExactly(shared.fileName());
  }

  @Test
  void deletesExactlyTheClaimsSpec() throws IOException {
    CdiSpecWriter writer = new CdiSpecWriter(root());
    writer.write(a100(Fixtures.A100_FULL_CLAIM));
    writer.write(a100(Fixtures.A100_MIG_CLAIM));
    Files.writeString(
        root().resolve("k8s.gpu.nvidia.com-claim_" + Fixtures.A100_FULL_CLAIM + ".json"), "{}");

    assertThat(writer.delete(Fixtures.A100_FULL_CLAIM)).isTrue();
    assertThat(writer.delete(Fixtures.A100_FULL_CLAIM)).isFalse();

    assertThat(listing())
        .containsExactly(
            "k8s.gpu.gpudra.dev-claim_" + Fixtures.A100_MIG_CLAIM + ".json",
            "k8s.gpu.nvidia.com-claim_" + Fixtures.A100_FULL_CLAIM + ".json");
  }

  @Test
  void listsOnlyItsOwnSpecFiles() throws IOException {
    CdiSpecWriter writer = new CdiSpecWriter(root());
    writer.write(a100(Fixtures.H100_PAIR_CLAIM));
    writer.write(a100(Fixtures.A100_MIG_CLAIM));
    Files.writeString(root().resolve("nvidia.yaml"), "x");
    Files.writeString(root().resolve("k8s.gpu.gpudra.dev-claim_not-a-uid.json"), "x");
    Files.createDirectory(
        root().resolve("k8s.gpu.gpudra.dev-claim_" + Fixtures.A100_FULL_CLAIM + ".json"));

    assertThat(writer.listClaimUids())
        .containsExactly(Fixtures.H100_PAIR_CLAIM, Fixtures.A100_MIG_CLAIM);
  }

  @Test
  void listingAMissingDirectoryFindsNothing() {
    assertThat(new CdiSpecWriter(root()).listClaimUids()).isEmpty();
  }

  @Test
  void aFailedWriteLeavesNoPartialOrTemporaryFile() throws IOException {
    CdiSpecWriter writer = new CdiSpecWriter(root());
    ClaimSpec spec = a100(Fixtures.A100_FULL_CLAIM);
    // A non-empty directory where the spec should go makes the final rename fail.
    Files.createDirectories(root().resolve(spec.fileName()).resolve("blocker"));

    assertThatThrownBy(() -> writer.write(spec)).isInstanceOf(UncheckedIOException.class);

    // The temporary file was written and synced before the rename failed: it is gone too.
    assertThat(listing()).containsExactly(spec.fileName());
    assertThat(Files.isDirectory(root().resolve(spec.fileName()))).isTrue();
  }

  @Test
  void removesTemporaryFilesACrashLeftBehind() throws IOException {
    CdiSpecWriter writer = new CdiSpecWriter(root());
    writer.write(a100(Fixtures.A100_FULL_CLAIM));
    String leftover = "." + CdiNames.specFileName(Fixtures.A100_MIG_CLAIM) + ".4242-17.tmp";
    Files.writeString(root().resolve(leftover), "{\"cdiVer");
    Files.writeString(root().resolve(".someone-elses.tmp"), "x");

    assertThat(writer.removeLeftoverTemporaryFiles()).isEqualTo(1);

    assertThat(listing())
        .containsExactly(".someone-elses.tmp", CdiNames.specFileName(Fixtures.A100_FULL_CLAIM));
  }

  @Test
  void badInputIsRejectedBeforeAnythingIsWritten() {
    CdiSpecWriter writer = new CdiSpecWriter(root());

    assertThatThrownBy(() -> writer.delete("../../etc/passwd"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> writer.write(a100("not-a-uid")))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(Files.exists(root())).isFalse();
  }

  @Test
  void manyRandomClaimsAllLandDirectlyInTheCdiDirectory() throws IOException {
    CdiSpecWriter writer = new CdiSpecWriter(root());
    Random random = new Random(7);
    TreeSet<String> uids = new TreeSet<>();
    for (int i = 0; i < 300; i++) {
      String uid = new UUID(random.nextLong(), random.nextLong()).toString();
      uids.add(uid);
      writer.write(a100(uid));
    }

    assertThat(writer.listClaimUids()).containsExactlyElementsOf(uids);
    try (Stream<Path> all = Files.walk(tmp)) {
      assertThat(all.filter(Files::isRegularFile))
          .hasSize(300)
          .allSatisfy(p -> assertThat(p.getParent()).isEqualTo(root()));
    }
  }

  private List<String> listing() throws IOException {
    try (Stream<Path> entries = Files.list(root())) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
