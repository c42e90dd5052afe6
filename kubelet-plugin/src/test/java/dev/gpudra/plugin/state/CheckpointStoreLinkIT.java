package dev.gpudra.plugin.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointCodec;
import dev.gpudra.testkit.node.OutsideTargets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Somebody who can plant symbolic links in the checkpoint directory must not make the store write,
 * read or move anything outside it: a file outside stays byte-for-byte unchanged, a directory
 * outside stays empty.
 */
class CheckpointStoreLinkIT {

  private static final String OUTSIDE_CONTENT = "root:$6$salt$hash:19000:0:99999:7:::\n";

  @TempDir Path tmp;

  private final Clock clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
  private OutsideTargets outside;

  @BeforeEach
  void plantTargetsOutside() throws IOException {
    outside = OutsideTargets.create(tmp, "shadow", OUTSIDE_CONTENT);
  }

  private Path dir() throws IOException {
    return Files.createDirectories(tmp.resolve("state"));
  }

  @Test
  void aLinkAtTheCheckpointToAFileOutsideIsReplacedNotWrittenThrough() throws IOException {
    CheckpointStore store = new CheckpointStore(dir(), clock);
    Files.createSymbolicLink(store.file(), outside.file());

    store.save(Checkpoint.empty("boot-1"));

    assertThat(outside.file()).hasContent(OUTSIDE_CONTENT);
    assertThat(Files.isRegularFile(store.file(), LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(store.load())
        .isEqualTo(new CheckpointStore.Loaded.Valid(Checkpoint.empty("boot-1")));
  }

  @Test
  void aLinkAtTheCheckpointToADirectoryOutsideIsReplacedNotWrittenInto() throws IOException {
    CheckpointStore store = new CheckpointStore(dir(), clock);
    Files.createSymbolicLink(store.file(), outside.dir());

    store.save(Checkpoint.empty("boot-1"));

    assertThat(OutsideTargets.names(outside.dir())).isEmpty();
    assertThat(Files.isRegularFile(store.file(), LinkOption.NOFOLLOW_LINKS)).isTrue();
  }

  @Test
  void linksAtTheFormerlyFixedTemporaryNameAreNeverFollowed() throws IOException {
    // Before, every save wrote through .checkpoint.tmp, opened with O_CREAT|O_TRUNC.
    CheckpointStore store = new CheckpointStore(dir(), clock);
    Files.createSymbolicLink(dir().resolve(".checkpoint.tmp"), outside.file());

    store.save(Checkpoint.empty("boot-1"));
    store.save(Checkpoint.empty("boot-2"));

    assertThat(outside.file()).hasContent(OUTSIDE_CONTENT);
    assertThat(store.removeLeftoverTemporaryFiles()).isEqualTo(1);
    assertThat(outside.file()).hasContent(OUTSIDE_CONTENT);
    assertThat(OutsideTargets.names(dir()))
        .containsExactlyInAnyOrder(CheckpointStore.FILE_NAME, CheckpointLock.FILE_NAME);
  }

  @Test
  void aLinkAtTheCheckpointIsMovedAsideUnreadAndNeverFollowed() throws IOException {
    // Even a link to a valid checkpoint is not ours: it is not trusted, and it is moved, not its
    // target.
    Path validOutside = tmp.resolve("valid");
    Files.write(validOutside, CheckpointCodec.encode(Checkpoint.empty("boot-1")));
    byte[] before = Files.readAllBytes(validOutside);
    CheckpointStore store = new CheckpointStore(dir(), clock);
    Files.createSymbolicLink(store.file(), validOutside);

    CheckpointStore.Loaded loaded = store.load();

    assertThat(loaded).isInstanceOf(CheckpointStore.Loaded.MovedAside.class);
    CheckpointStore.Loaded.MovedAside aside = (CheckpointStore.Loaded.MovedAside) loaded;
    assertThat(aside.reason()).isEqualTo("not a regular file");
    assertThat(Files.isSymbolicLink(aside.movedTo())).isTrue();
    assertThat(Files.readAllBytes(validOutside)).isEqualTo(before);
    assertThat(store.file()).doesNotExist();
    assertThat(store.load()).isEqualTo(new CheckpointStore.Loaded.Missing());
  }

  @Test
  void aLinkAtTheMovedAsideNameIsReplacedNotFollowed() throws IOException {
    CheckpointStore store = new CheckpointStore(dir(), clock);
    Files.writeString(store.file(), "garbage");
    Path asideName = dir().resolve("checkpoint.damaged-20260102T030405.000Z");
    Files.createSymbolicLink(asideName, outside.file());

    CheckpointStore.Loaded loaded = store.load();

    assertThat(loaded)
        .isInstanceOf(CheckpointStore.Loaded.MovedAside.class)
        .extracting(l -> ((CheckpointStore.Loaded.MovedAside) l).movedTo())
        .isEqualTo(asideName);
    assertThat(outside.file()).hasContent(OUTSIDE_CONTENT);
    assertThat(asideName).hasContent("garbage");
  }

  @Test
  void aCheckpointDirectoryReachedThroughALinkKeepsWorking() throws IOException {
    Path real = Files.createDirectories(tmp.resolve("real-state"));
    Path link = Files.createSymbolicLink(tmp.resolve("state-link"), real);
    CheckpointStore store = new CheckpointStore(link, clock);

    store.save(Checkpoint.empty("boot-1"));

    assertThat(OutsideTargets.names(real))
        .containsExactlyInAnyOrder(CheckpointStore.FILE_NAME, CheckpointLock.FILE_NAME);
    assertThat(store.load())
        .isEqualTo(new CheckpointStore.Loaded.Valid(Checkpoint.empty("boot-1")));
  }
}
