package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.cdi.io.CdiSpecWriter;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.plugin.bench.LocalPrepareRig;
import dev.gpudra.plugin.prepare.ClaimEffects;
import dev.gpudra.plugin.prepare.ClaimRef;
import dev.gpudra.plugin.prepare.PreparePlan;
import dev.gpudra.plugin.prepare.PrepareResult;
import dev.gpudra.testkit.kubelet.PodClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prepare that finds its claim's leftover {@code PREPARE_STARTED} entry (an earlier attempt's, or
 * one recovery made of a completed claim whose spec was lost) undoes it while the effects of
 * another claim run and read the node's state, as the MPS and time-slice effects do. The undo waits
 * for the effects lock without holding the state lock (the lock order of {@code CheckpointLock}):
 * held, the two calls would wait for each other for ever and both pods would never start.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class LeftoverUndoLockOrderIT {

  private static final String NODE = "node-a";

  // The longest a call may take before the test calls it stuck; never reached when it works.
  private static final long STUCK_SECONDS = 120;

  KubernetesClient client;

  @TempDir Path root;

  @Test
  void undoingALeftoverWhileAnotherClaimsEffectsReadTheStateFinishesBoth() throws Exception {
    ApiClaims claims = new ApiClaims(client, "leftover");
    PodClaim leftover = claims.allocated("leftover", NODE, "gpu-0");
    PodClaim other = claims.allocated("other", NODE, "gpu-1");
    ReadingEffects effects = new ReadingEffects(other.uid());

    // Prepared, then its spec lost: the next start keeps it as PREPARE_STARTED, effects in place.
    LocalPrepareRig first = LocalPrepareRig.recovering(root, NODE, claims.byKey, effects);
    effects.state = first.state()::snapshot;
    assertThat(prepare(first, leftover)).isInstanceOf(PrepareResult.Prepared.class);
    Files.delete(new CdiSpecWriter(root.resolve("cdi")).specPath(leftover.uid()));
    LocalPrepareRig restarted = LocalPrepareRig.recovering(root, NODE, claims.byKey, effects);
    effects.state = restarted.state()::snapshot;
    assertThat(restarted.state().snapshot().claim(leftover.uid()))
        .map(PreparedClaim::state)
        .contains(ClaimState.PREPARE_STARTED);

    // Given the other claim's effects running (the effects lock held) ...
    CompletableFuture<PrepareResult> otherCall =
        CompletableFuture.supplyAsync(() -> prepare(restarted, other));
    assertThat(effects.entered.await(STUCK_SECONDS, TimeUnit.SECONDS)).isTrue();
    // ... when the leftover's prepare waits to undo it ...
    CompletableFuture<PrepareResult> leftoverCall = new CompletableFuture<>();
    Thread leftoverThread =
        new Thread(() -> leftoverCall.complete(prepare(restarted, leftover)), "leftover");
    leftoverThread.start();
    while (leftoverThread.getState() != Thread.State.WAITING && !leftoverCall.isDone()) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    // ... and the running effects then read the node's state.
    effects.proceed.countDown();

    assertThat(otherCall.get(STUCK_SECONDS, TimeUnit.SECONDS))
        .isInstanceOf(PrepareResult.Prepared.class);
    assertThat(leftoverCall.get(STUCK_SECONDS, TimeUnit.SECONDS))
        .isInstanceOf(PrepareResult.Prepared.class);
    Checkpoint after = restarted.state().durableSnapshot();
    assertThat(after.entries())
        .extracting(PreparedClaim::state)
        .containsOnly(ClaimState.PREPARE_COMPLETED)
        .hasSize(2);
    assertThat(effects.inPlace(leftover.uid()))
        .as("the leftover's effects, undone and made")
        .isOne();
    assertThat(effects.inPlace(other.uid())).isOne();
  }

  private static PrepareResult prepare(LocalPrepareRig instance, PodClaim claim) {
    return instance
        .dra()
        .prepare(List.of(new ClaimRef(claim.namespace(), claim.uid(), claim.name())))
        .get(claim.uid());
  }

  /**
   * Effects that, for one claim, pause once inside {@link #apply} and then read the node's state,
   * as effects that share a GPU between claims do; counts the applications in place per claim.
   */
  private static final class ReadingEffects implements ClaimEffects {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch proceed = new CountDownLatch(1);
    private final String pausing;
    private final Map<String, AtomicInteger> applied = new ConcurrentHashMap<>();
    volatile Supplier<Checkpoint> state;

    ReadingEffects(String pausing) {
      this.pausing = pausing;
    }

    @Override
    public PreparePlan apply(PreparePlan plan) {
      String uid = plan.claim().uid();
      if (uid.equals(pausing)) {
        entered.countDown();
        try {
          if (!proceed.await(STUCK_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("never told to proceed");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        // Effects that share a GPU look for the other claims on it, this one's reservation among
        // them.
        if (state.get().claim(uid).isEmpty()) {
          throw new IllegalStateException("the claim's own reservation is not in the state");
        }
      }
      applied.computeIfAbsent(uid, k -> new AtomicInteger()).incrementAndGet();
      return plan;
    }

    @Override
    public void undo(PreparedClaim claim) {
      AtomicInteger n = applied.get(claim.uid());
      if (n != null) {
        n.updateAndGet(count -> Math.max(0, count - 1));
      }
    }

    int inPlace(String uid) {
      AtomicInteger n = applied.get(uid);
      return n == null ? 0 : n.get();
    }
  }
}
