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
import dev.gpudra.plugin.state.CheckpointStore;
import dev.gpudra.testkit.kubelet.PodClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two plugin instances on one node, as during a DaemonSet rolling update with {@code maxSurge}: the
 * old one serves the kubelet while the new one starts (its recovery rewrites the checkpoint), then
 * both finish calls, sharing one checkpoint file and one CDI directory. Each instance is the
 * plugin's real prepare path (its own checkpoint store, node state, CDI writer) in this JVM; the
 * node's effects are one counter shared by both, as the GPUs would be.
 *
 * <p>What a user must get: every claim the kubelet was told is prepared is on record exactly once
 * with its spec, every unprepared one is gone, whichever instance answered, and no claim's effects
 * are ever applied twice at once (a claim the kubelet sends to both instances is prepared once).
 */
@EnableKubernetesMockClient(crud = true, https = false)
class TwoInstancesOneCheckpointIT {

  private static final String NODE = "node-a";
  private static final String[] GPUS = {"gpu-0", "gpu-1", "gpu-2", "gpu-3"};

  KubernetesClient client;

  @TempDir Path root;

  private final NodeEffects node = new NodeEffects();
  private final List<String> failures = new CopyOnWriteArrayList<>();

  @Test
  void overlappingInstancesLoseNoRecordAndPrepareNoClaimTwice() throws Exception {
    ApiClaims claims = new ApiClaims(client, "surge");
    List<PodClaim> a = create(claims, "a", 50);
    List<PodClaim> b = create(claims, "b", 20);
    List<PodClaim> both = create(claims, "d", 10);

    LocalPrepareRig old = LocalPrepareRig.recovering(root, NODE, claims.byKey, node);
    try (ExecutorService kubelet = Executors.newFixedThreadPool(8)) {
      // The old instance serves alone.
      await(submitAll(kubelet, a.subList(0, 20), c -> prepare(old, c)));

      // The new instance recovers while the old one keeps preparing and unpreparing.
      CountDownLatch underWay = new CountDownLatch(5);
      List<Future<?>> overlap = new ArrayList<>();
      overlap.addAll(
          submitAll(
              kubelet,
              a.subList(20, 40),
              c -> {
                underWay.countDown();
                prepare(old, c);
              }));
      overlap.addAll(submitAll(kubelet, a.subList(0, 10), c -> unprepare(old, c)));
      underWay.await();
      LocalPrepareRig surged = LocalPrepareRig.recovering(root, NODE, claims.byKey, node);
      await(overlap);

      // Both serve: the old one finishes its calls, the new one takes new ones, and some claims
      // reach both (the kubelet retried on the new instance).
      List<Future<?>> together = new ArrayList<>();
      together.addAll(submitAll(kubelet, a.subList(40, 50), c -> prepare(old, c)));
      together.addAll(submitAll(kubelet, a.subList(10, 15), c -> unprepare(old, c)));
      together.addAll(submitAll(kubelet, b, c -> prepare(surged, c)));
      together.addAll(submitAll(kubelet, a.subList(15, 20), c -> unprepare(surged, c)));
      together.addAll(submitAll(kubelet, both, c -> prepare(old, c)));
      together.addAll(submitAll(kubelet, both, c -> prepare(surged, c)));
      await(together);
    }

    Set<String> expected = new TreeSet<>();
    a.subList(20, 50).forEach(c -> expected.add(c.uid()));
    b.forEach(c -> expected.add(c.uid()));
    both.forEach(c -> expected.add(c.uid()));

    CheckpointStore.Loaded loaded =
        new CheckpointStore(root.resolve("checkpoint"), Clock.systemUTC()).load();
    assertThat(loaded).isInstanceOf(CheckpointStore.Loaded.Valid.class);
    Checkpoint onDisk = ((CheckpointStore.Loaded.Valid) loaded).checkpoint();
    SoftAssertions.assertSoftly(
        softly -> {
          softly.assertThat(failures).as("calls the kubelet saw fail").isEmpty();
          softly.assertThat(onDisk.claims().keySet()).as("claims on record").isEqualTo(expected);
          softly
              .assertThat(onDisk.entries())
              .extracting(PreparedClaim::state)
              .containsOnly(ClaimState.PREPARE_COMPLETED);
          softly
              .assertThat(new TreeSet<>(new CdiSpecWriter(root.resolve("cdi")).listClaimUids()))
              .as("CDI specs")
              .isEqualTo(expected);
          softly
              .assertThat(node.twice)
              .as("claims whose effects were applied twice at once")
              .isEmpty();
          softly
              .assertThat(node.live())
              .as("claims whose effects are in place")
              .isEqualTo(expected);
        });

    // The next start finds the node as the two left it.
    LocalPrepareRig.recovering(root, NODE, claims.byKey, node);
    assertThat(new TreeSet<>(new CdiSpecWriter(root.resolve("cdi")).listClaimUids()))
        .isEqualTo(expected);
  }

  private static List<PodClaim> create(ApiClaims claims, String prefix, int count) {
    return IntStream.range(0, count)
        .mapToObj(i -> claims.allocated(prefix + "-" + i, NODE, GPUS[i % GPUS.length]))
        .toList();
  }

  private void prepare(LocalPrepareRig instance, PodClaim claim) {
    PrepareResult result = instance.dra().prepare(List.of(ref(claim))).get(claim.uid());
    if (!(result instanceof PrepareResult.Prepared)) {
      failures.add("prepare " + claim.name() + ": " + result);
    }
  }

  private void unprepare(LocalPrepareRig instance, PodClaim claim) {
    instance
        .dra()
        .unprepare(List.of(ref(claim)))
        .get(claim.uid())
        .ifPresent(error -> failures.add("unprepare " + claim.name() + ": " + error));
  }

  private static ClaimRef ref(PodClaim claim) {
    return new ClaimRef(claim.namespace(), claim.uid(), claim.name());
  }

  private static List<Future<?>> submitAll(
      ExecutorService pool, List<PodClaim> claims, java.util.function.Consumer<PodClaim> call) {
    return claims.stream()
        .<Future<?>>map(c -> pool.submit(() -> call.accept(c)))
        .collect(Collectors.toList());
  }

  private static void await(List<Future<?>> calls) throws Exception {
    for (Future<?> call : calls) {
      call.get();
    }
  }

  /** The node's state beyond specs: how many applications of each claim's effects are in place. */
  private static final class NodeEffects implements ClaimEffects {
    private final Map<String, AtomicInteger> applied = new ConcurrentHashMap<>();
    final Set<String> twice = ConcurrentHashMap.newKeySet();

    @Override
    public PreparePlan apply(PreparePlan plan) {
      String uid = plan.claim().uid();
      if (applied.computeIfAbsent(uid, k -> new AtomicInteger()).incrementAndGet() > 1) {
        twice.add(uid);
      }
      return plan;
    }

    @Override
    public void undo(PreparedClaim claim) {
      // Undo may run for a claim whose effects were never applied: nothing to remove then.
      AtomicInteger n = applied.get(claim.uid());
      if (n != null) {
        n.updateAndGet(count -> Math.max(0, count - 1));
      }
    }

    Set<String> live() {
      Set<String> live = new HashSet<>();
      applied.forEach(
          (uid, n) -> {
            if (n.get() > 0) {
              live.add(uid);
            }
          });
      return new TreeSet<>(live);
    }
  }
}
