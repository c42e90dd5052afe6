package dev.gpudra.plugin.sharing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.MpsRecord;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.plugin.prepare.StepListener;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * When {@link MpsEffects} stops a GPU's daemon: only after the last claim using it is unprepared,
 * also when the last claims go at once (each undoes its effects while the others' entries are still
 * in the checkpoint, since an entry is removed only after its undo).
 */
class MpsEffectsTest {

  private static final String GPU = "GPU-aaaaaaaa-0000-4000-8000-000000000001";

  @Test
  void theLastOfSeveralClaimsUnpreparedAtOnceStopsTheDaemon() {
    PreparedClaim a = claim("a");
    PreparedClaim b = claim("b");
    PreparedClaim c = claim("c");
    // Every entry stays in the checkpoint until all three undid their effects.
    AtomicReference<Checkpoint> checkpoint =
        new AtomicReference<>(Checkpoint.empty("boot").with(a).with(b).with(c));
    InMemoryMpsDaemons control = runningDaemon();
    MpsEffects effects = new MpsEffects(control, checkpoint::get, StepListener.NONE);

    effects.undo(a);
    effects.undo(b);
    assertThat(control.running(GPU)).as("c still uses the daemon").isTrue();
    effects.undo(c);

    assertThat(control.running(GPU)).as("the last claim stopped it").isFalse();
  }

  @Test
  void aClaimStillPreparedKeepsTheDaemon() {
    PreparedClaim a = claim("a");
    PreparedClaim b = claim("b");
    AtomicReference<Checkpoint> checkpoint =
        new AtomicReference<>(Checkpoint.empty("boot").with(a).with(b));
    InMemoryMpsDaemons control = runningDaemon();
    MpsEffects effects = new MpsEffects(control, checkpoint::get, StepListener.NONE);

    effects.undo(a);
    checkpoint.set(checkpoint.get().without("a"));

    assertThat(control.running(GPU)).as("b still uses the daemon").isTrue();
    effects.undo(b);
    assertThat(control.running(GPU)).as("the last claim stopped it").isFalse();
  }

  /** GPU's daemon, started once as a first prepare would. */
  private static InMemoryMpsDaemons runningDaemon() {
    InMemoryMpsDaemons control = new InMemoryMpsDaemons();
    control.ensure(new MpsRecord(GPU, null, null));
    return control;
  }

  private static PreparedClaim claim(String uid) {
    CheckpointedDevice device =
        new CheckpointedDevice(
            List.of("gpu"),
            "node",
            "gpu-0",
            List.of("k8s.gpu.gpudra.dev/claim=" + uid + "-gpu-0"),
            false,
            "MPS",
            null,
            null,
            null,
            new MpsRecord(GPU, null, null));
    return new PreparedClaim(uid, "ns", uid, ClaimState.PREPARE_COMPLETED, List.of(device));
  }
}
