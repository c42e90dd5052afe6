package dev.gpudra.plugin.mig;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.cdi.MigMinors;
import dev.gpudra.cdi.Sharing;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.DynamicMig;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.device.nvml.RawGpuInstance;
import dev.gpudra.plugin.prepare.ClaimRef;
import dev.gpudra.plugin.prepare.PlannedDevice;
import dev.gpudra.plugin.prepare.PreparePlan;
import dev.gpudra.plugin.prepare.StepListener;
import java.util.List;
import org.junit.jupiter.api.Test;

class MigRecoveryTest {

  private static final String GPU = "GPU-00000000-0000-4000-8000-000000000003";
  private static final String BOOT = "boot";
  private static final MigMinors MINORS =
      MigMinors.parse(
          "gpu3/gi0/access 100\ngpu3/gi0/ci0/access 101\n"
              + "gpu3/gi1/access 110\ngpu3/gi1/ci0/access 111\n"
              + "gpu3/gi2/access 120\ngpu3/gi2/ci0/access 121\n"
              + "gpu3/gi3/access 130\ngpu3/gi3/ci0/access 131\n");

  private final InMemoryMig mig = new InMemoryMig().gpu(GPU);
  private final DynamicMigEffects effects = new DynamicMigEffects(mig, MINORS, StepListener.NONE);

  private static PreparePlan plan(String uid, int start) {
    String name = "gpu-3-mig-1g10gb-19-" + start;
    return new PreparePlan(
        new ClaimRef("ml", uid, "c-" + start),
        List.of(
            new PlannedDevice.NewMig(
                new CheckpointedDevice(
                        List.of("mig"),
                        "node-a",
                        name,
                        List.of("k8s.gpu.gpudra.dev/claim=" + uid + "-" + name),
                        false,
                        "Exclusive")
                    .withDynamicMig(DynamicMig.planned(GPU, 19, start, 1)),
                3,
                Sharing.exclusive())));
  }

  private static String uid(int n) {
    return String.format("00000000-0000-4000-8000-%012d", n);
  }

  private static Checkpoint checkpoint(PreparedClaim... claims) {
    Checkpoint cp = Checkpoint.empty(BOOT);
    for (PreparedClaim c : claims) {
      cp = cp.with(c);
    }
    return cp;
  }

  private List<Integer> starts() {
    return mig.gpuInstances(GPU).stream().map(gi -> gi.placement().start()).sorted().toList();
  }

  private static Gpu gpu(String cc, MigMode mode, List<MigProfile> profiles) {
    return new Gpu(
        3, 3, GPU, "GPU", "Nvidia", "x", cc, 80L << 30, "0000:03:00.0", mode, profiles, List.of());
  }

  @Test
  void keepsTheInstancesOfCompletedClaimsAndDestroysEveryOther() {
    PreparedClaim kept = effects.apply(plan(uid(1), 0)).entry(ClaimState.PREPARE_COMPLETED);
    // A crash after creating, before completing: the entry records the placement only.
    PreparedClaim started = plan(uid(2), 1).entry(ClaimState.PREPARE_STARTED);
    effects.apply(plan(uid(2), 1));
    // An administrator's instance, and one without compute instance.
    mig.existing(GPU, 19, new MigPlacement(2, 1));
    mig.createGpuInstance(GPU, 19, new MigPlacement(3, 1));

    MigRecovery.Recovered recovered =
        MigRecovery.recover(checkpoint(kept, started), mig, List.of(gpu("8.0", on(), List.of())));

    assertThat(starts()).containsExactly(0);
    assertThat(recovered.checkpoint().claim(uid(1))).contains(kept);
    assertThat(recovered.checkpoint().claim(uid(2))).contains(started);
    assertThat(recovered.lostSpecs()).isEmpty();
  }

  @Test
  void aCompletedClaimWhoseDeviceIsGoneStartsOverWithoutItsSpecAndItsOtherDevices() {
    PreparePlan two =
        new PreparePlan(
            new ClaimRef("ml", uid(3), "pair"),
            List.of(plan(uid(3), 0).devices().getFirst(), plan(uid(3), 4).devices().getFirst()));
    PreparedClaim completed = effects.apply(two).entry(ClaimState.PREPARE_COMPLETED);
    // A crash inside unprepare, after destroying the first device.
    RawGpuInstance first = mig.gpuInstances(GPU).getFirst();
    mig.destroyComputeInstance(GPU, first.id(), 0);
    mig.destroyGpuInstance(GPU, first.id());

    MigRecovery.Recovered recovered =
        MigRecovery.recover(checkpoint(completed), mig, List.of(gpu("8.0", on(), List.of())));

    assertThat(starts()).isEmpty();
    assertThat(recovered.lostSpecs()).containsExactly(uid(3));
    PreparedClaim after = recovered.checkpoint().claim(uid(3)).orElseThrow();
    assertThat(after.state()).isEqualTo(ClaimState.PREPARE_STARTED);
    assertThat(after.devices()).allSatisfy(d -> assertThat(d.dynamicMig().instance()).isNull());
  }

  @Test
  void aCompletedEntryRebuiltWithoutIdsAdoptsTheInstanceAtItsPlacement() {
    PreparedClaim created = effects.apply(plan(uid(4), 5)).entry(ClaimState.PREPARE_COMPLETED);
    PreparedClaim rebuilt = plan(uid(4), 5).entry(ClaimState.PREPARE_COMPLETED);

    MigRecovery.Recovered recovered =
        MigRecovery.recover(checkpoint(rebuilt), mig, List.of(gpu("8.0", on(), List.of())));

    assertThat(recovered.checkpoint().claim(uid(4))).contains(created);
    assertThat(starts()).containsExactly(5);
  }

  @Test
  void anInstanceNvmlWillNotDestroyIsLeftAndRecoveryGoesOn() {
    mig.existing(GPU, 19, new MigPlacement(0, 1));
    mig.existing(GPU, 19, new MigPlacement(1, 1));
    mig.failNext("destroyComputeInstance", InMemoryMig.IN_USE);

    MigRecovery.recover(Checkpoint.empty(BOOT), mig, List.of(gpu("8.0", on(), List.of())));

    assertThat(starts()).containsExactly(0);
  }

  private static MigMode on() {
    return new MigMode(true, true, true);
  }
}
