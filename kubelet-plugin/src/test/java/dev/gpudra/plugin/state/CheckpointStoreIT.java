package dev.gpudra.plugin.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointChange;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreIT {

  @TempDir Path tmp;

  private final Clock clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

  private Path dir() {
    return tmp.resolve("state");
  }

  private static PreparedClaim claim() {
    return new PreparedClaim(
        "00000000-0000-4000-8000-000000000001",
        "ml",
        "c1",
        ClaimState.PREPARE_COMPLETED,
        List.of(
            new CheckpointedDevice(
                List.of("gpu"), "node-a", "gpu-1", List.of(), true, "Exclusive")));
  }

  @Test
  void aSavedCheckpointLoadsBackAndLeavesNoTemporaryFile() throws IOException {
    CheckpointStore store = new CheckpointStore(dir(), clock);

    store.save(Checkpoint.empty("boot-1"));
    store.save(Checkpoint.empty("boot-2"));

    assertThat(store.load())
        .isEqualTo(new CheckpointStore.Loaded.Valid(Checkpoint.empty("boot-2")));
    assertThat(listing()).containsExactly(CheckpointStore.FILE_NAME, CheckpointLock.FILE_NAME);
  }

  @Test
  void appendsKeepTheViewsOpeningAndEveryWholeSaveOrReadIsANewOne() {
    CheckpointStore store = new CheckpointStore(dir(), clock);
    store.save(Checkpoint.empty("boot-1"));
    CheckpointStore.View saved = store.view();

    Checkpoint withClaim = Checkpoint.empty("boot-1").with(claim());
    store.commit(withClaim, List.of(new CheckpointChange.Put(claim())), () -> {});
    CheckpointStore.View appended = store.view();
    store.save(withClaim);
    CheckpointStore.View savedAgain = store.view();

    // One file grown by an append: memory that held the change before it was written holds all.
    assertThat(appended.opening()).isEqualTo(saved.opening());
    assertThat(appended.fileKey()).isEqualTo(saved.fileKey());
    assertThat(appended.size()).isGreaterThan(saved.size());
    // A new file is a new opening, even if its inode number were the old file's.
    assertThat(savedAgain.opening()).isGreaterThan(appended.opening());
  }

  @Test
  void aFailedSaveLeavesNoTemporaryFile() throws IOException {
    CheckpointStore store = new CheckpointStore(dir(), clock);
    // A non-empty directory where the checkpoint should go makes the final rename fail after the
    // temporary file was written and synced.
    Files.createDirectories(store.file().resolve("blocker"));

    assertThatThrownBy(() -> store.save(Checkpoint.empty("boot-1")))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("saving checkpoint");

    assertThat(listing()).containsExactly(CheckpointStore.FILE_NAME, CheckpointLock.FILE_NAME);
    assertThat(store.file()).isDirectory();
  }

  @Test
  void theCheckpointIsTheOwnersOnlyInADirectoryOnlyTheOwnerEnters() throws IOException {
    CheckpointStore store = new CheckpointStore(dir().resolve("deep"), clock);

    store.save(Checkpoint.empty("boot-1"));

    assertThat(mode(store.file())).isEqualTo("rw-------");
    assertThat(mode(dir().resolve("deep"))).isEqualTo("rwx------");
    assertThat(mode(dir())).isEqualTo("rwx------");
  }

  @Test
  void anExistingDirectoryOpenToOthersLosesOnlyTheirAccess() throws IOException {
    // A hostPath of type DirectoryOrCreate is made rwxr-xr-x by the kubelet.
    Files.createDirectories(dir());
    Files.setPosixFilePermissions(dir(), PosixFilePermissions.fromString("rwxr-xr-x"));
    CheckpointStore store = new CheckpointStore(dir(), clock);

    store.save(Checkpoint.empty("boot-1"));

    assertThat(mode(dir())).isEqualTo("rwxr-x---");
  }

  @Test
  void removesTemporaryFilesACrashLeftBehindOfThisAndEarlierVersions() throws IOException {
    CheckpointStore store = new CheckpointStore(dir(), clock);
    store.save(Checkpoint.empty("boot-1"));
    Files.writeString(dir().resolve(".checkpoint.0123456789abcdef0123456789abcdef.tmp"), "half");
    Files.writeString(dir().resolve(".checkpoint.tmp"), "half");
    Files.writeString(dir().resolve("checkpoint.damaged-20260101T000000.000Z"), "kept");

    assertThat(store.removeLeftoverTemporaryFiles()).isEqualTo(2);

    assertThat(listing())
        .containsExactly(
            CheckpointStore.FILE_NAME,
            "checkpoint.damaged-20260101T000000.000Z",
            CheckpointLock.FILE_NAME);
    assertThat(store.load())
        .isEqualTo(new CheckpointStore.Loaded.Valid(Checkpoint.empty("boot-1")));
  }

  @Test
  void aDirectoryRemovedWhileRunningIsCreatedAgainPrivate() throws IOException {
    CheckpointStore store = new CheckpointStore(dir(), clock);
    store.save(Checkpoint.empty("boot-1"));
    Files.delete(store.file());
    Files.delete(dir().resolve(CheckpointLock.FILE_NAME));
    Files.delete(dir());

    store.save(Checkpoint.empty("boot-2"));

    assertThat(mode(dir())).isEqualTo("rwx------");
    assertThat(store.load())
        .isEqualTo(new CheckpointStore.Loaded.Valid(Checkpoint.empty("boot-2")));
  }

  @Test
  void removingLeftoversOfAMissingDirectoryFindsNone() {
    assertThat(new CheckpointStore(dir(), clock).removeLeftoverTemporaryFiles()).isZero();
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private List<String> listing() throws IOException {
    try (Stream<Path> entries = Files.list(dir())) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
