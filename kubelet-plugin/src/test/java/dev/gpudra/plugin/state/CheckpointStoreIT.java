package dev.gpudra.plugin.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.core.checkpoint.Checkpoint;
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
