package dev.gpudra.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectorySyncIT {

  @TempDir Path tmp;

  @Test
  void requestsMadeDuringAnFsyncShareTheNextOneAndNoneIsCoveredByAnEarlierOne() throws Exception {
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    AtomicInteger fsyncs = new AtomicInteger();
    DirectorySync sync =
        new DirectorySync(
            tmp,
            dir -> {
              if (fsyncs.incrementAndGet() == 1) {
                firstStarted.countDown();
                await(releaseFirst);
              }
              AtomicFileWriter.syncDirectory(dir);
            });

    CompletableFuture<Void> first = sync.request();
    assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<Void>> during = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      during.add(sync.request());
    }
    // Begun before these requests, the running fsync may not answer them.
    Thread.sleep(100);
    assertThat(during).noneMatch(CompletableFuture::isDone);
    assertThat(first).isNotDone();

    releaseFirst.countDown();
    first.get(10, TimeUnit.SECONDS);
    CompletableFuture.allOf(during.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    assertThat(fsyncs.get()).isEqualTo(2);
  }

  @Test
  void aFailedFsyncFailsItsWaitersWithTheDirectoryNamedAndTheNextRequestTriesAgain()
      throws Exception {
    Path missing = tmp.resolve("cdi");
    DirectorySync sync = new DirectorySync(missing);

    assertThatThrownBy(sync::sync)
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(missing.toString());

    Files.createDirectory(missing);
    sync.sync();
    assertThat(sync.request().get(10, TimeUnit.SECONDS)).isNull();
  }

  @Test
  void aSyncerThatThrowsAnythingStillAnswersEveryWaiter() {
    DirectorySync sync =
        new DirectorySync(
            tmp,
            dir -> {
              throw new IllegalStateException("broken");
            });

    assertThatThrownBy(sync::sync).isInstanceOf(IllegalStateException.class).hasMessage("broken");
  }

  private static void await(CountDownLatch latch) throws IOException {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
