package dev.gpudra.plugin.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.core.checkpoint.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    assertThat(listing()).containsExactly(CheckpointStore.FILE_NAME);
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

    assertThat(listing()).containsExactly(CheckpointStore.FILE_NAME);
    assertThat(store.file()).isDirectory();
  }

  private List<String> listing() throws IOException {
    try (Stream<Path> entries = Files.list(dir())) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
