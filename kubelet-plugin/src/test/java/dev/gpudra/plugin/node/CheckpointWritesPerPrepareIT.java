package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a prepare costs on disk: a claim whose effects change nothing on the node (a whole GPU, an
 * existing MIG device) is one checkpoint append, its completed record, with its effects never
 * called; one whose effects change the node saves its start first, so that a crash leaves a record
 * of what they may have made.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class CheckpointWritesPerPrepareIT {

  private static final String NODE = "node-a";

  KubernetesClient client;

  @TempDir Path root;

  @Test
  void aClaimThatChangesNothingOnTheNodeIsOneAppendAndNoEffectsCall() throws Exception {
    ApiClaims claims = new ApiClaims(client, "plain");
    PodClaim claim = claims.allocated("plain", NODE, "gpu-0");
    CountingEffects effects = new CountingEffects(false);
    LocalPrepareRig node = LocalPrepareRig.recovering(root, NODE, claims.byKey, effects);
    int before = appendedChanges();

    assertThat(prepare(node, claim)).isInstanceOf(PrepareResult.Prepared.class);

    assertThat(appendedChanges() - before).isOne();
    assertThat(effects.applied.get()).isZero();
    assertThat(node.state().durableClaim(claim.uid())).map(PreparedClaim::uid).isPresent();
  }

  @Test
  void aClaimWhoseEffectsChangeTheNodeSavesItsStartFirst() throws Exception {
    ApiClaims claims = new ApiClaims(client, "effects");
    PodClaim claim = claims.allocated("effects", NODE, "gpu-0");
    CountingEffects effects = new CountingEffects(true);
    LocalPrepareRig node = LocalPrepareRig.recovering(root, NODE, claims.byKey, effects);
    int before = appendedChanges();

    assertThat(prepare(node, claim)).isInstanceOf(PrepareResult.Prepared.class);

    assertThat(appendedChanges() - before).isEqualTo(2);
    assertThat(effects.applied.get()).isOne();
  }

  // The changes appended to the checkpoint file since its last full save.
  private int appendedChanges() throws Exception {
    String file =
        Files.readString(
            root.resolve("checkpoint").resolve(CheckpointStore.FILE_NAME),
            StandardCharsets.ISO_8859_1);
    return file.split("GPUDRA-CHANGE ", -1).length - 1;
  }

  private static PrepareResult prepare(LocalPrepareRig node, PodClaim claim) {
    return node.dra()
        .prepare(List.of(new ClaimRef(claim.namespace(), claim.uid(), claim.name())))
        .get(claim.uid());
  }

  /** Effects that say whether they change the node, and count their applications. */
  private static final class CountingEffects implements ClaimEffects {
    final AtomicInteger applied = new AtomicInteger();
    private final boolean changesNode;

    CountingEffects(boolean changesNode) {
      this.changesNode = changesNode;
    }

    @Override
    public PreparePlan apply(PreparePlan plan) {
      applied.incrementAndGet();
      return plan;
    }

    @Override
    public void undo(PreparedClaim claim) {}

    @Override
    public boolean changesNode(PreparePlan plan) {
      return changesNode;
    }
  }
}
