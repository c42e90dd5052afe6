package dev.gpudra.plugin.mig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.cdi.MigMinors;
import dev.gpudra.cdi.PreparedDevice;
import dev.gpudra.cdi.Sharing;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.DynamicMig;
import dev.gpudra.core.checkpoint.MigInstanceIds;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.plugin.prepare.ClaimRef;
import dev.gpudra.plugin.prepare.EffectsFailedException;
import dev.gpudra.plugin.prepare.PlannedDevice;
import dev.gpudra.plugin.prepare.PreparePlan;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DynamicMigEffectsTest {

  private static final String GPU = "GPU-00000000-0000-4000-8000-000000000003";
  private static final ClaimRef CLAIM =
      new ClaimRef("ml", "11111111-2222-4333-8444-555555555555", "infer");
  // gpu3/giN/access = 100 + 10 N, gpu3/giN/ci0/access = 101 + 10 N
  private static final MigMinors MINORS =
      MigMinors.parse(
          "gpu3/gi0/access 100\ngpu3/gi0/ci0/access 101\n"
              + "gpu3/gi1/access 110\ngpu3/gi1/ci0/access 111\n"
              + "gpu3/gi2/access 120\ngpu3/gi2/ci0/access 121\n");

  private final InMemoryMig mig = new InMemoryMig().gpu(GPU);
  private final List<String> steps = new ArrayList<>();
  private final DynamicMigEffects effects = new DynamicMigEffects(mig, MINORS, steps::add);

  private static PlannedDevice.NewMig newMig(String profile, int profileId, int start, int size) {
    String name = "gpu-3-mig-" + profile + "-" + profileId + "-" + start;
    return new PlannedDevice.NewMig(
        new CheckpointedDevice(
                List.of("mig"),
                "node-a",
                name,
                List.of("k8s.gpu.gpudra.dev/claim=" + CLAIM.uid() + "-" + name),
                false,
                "Exclusive")
            .withDynamicMig(DynamicMig.planned(GPU, profileId, start, size)),
        3,
        Sharing.exclusive());
  }

  private static PreparePlan plan(PlannedDevice... devices) {
    return new PreparePlan(CLAIM, List.of(devices));
  }

  @Test
  void onlyAPlanWithAMigDeviceStillToMakeChangesTheNode() {
    PreparePlan planned = plan(newMig("3g40gb", 9, 4, 4));
    assertThat(effects.changesNode(planned)).isTrue();

    // Made, the device exists: preparing such a plan saves no PREPARE_STARTED first.
    PreparePlan applied = effects.apply(planned);
    assertThat(effects.changesNode(applied)).isFalse();
  }

  @Test
  void createsTheGpuInstanceAtExactlyThePlacementAndAComputeInstanceFillingIt() {
    PreparePlan applied = effects.apply(plan(newMig("3g40gb", 9, 4, 4)));

    assertThat(mig.gpuInstances(GPU))
        .singleElement()
        .satisfies(
            gi -> {
              assertThat(gi.profileId()).isEqualTo(9);
              assertThat(gi.placement().start()).isEqualTo(4);
              assertThat(gi.placement().size()).isEqualTo(4);
              assertThat(gi.computeInstances()).hasSize(1);
            });
    assertThat(applied.hardware())
        .containsExactly(
            new PreparedDevice.MigDevice(
                "gpu-3-mig-3g40gb-9-4",
                3,
                GPU,
                InMemoryMig.uuid(GPU, 0),
                0,
                0,
                100,
                101,
                Sharing.exclusive()));
    assertThat(applied.records().getFirst().dynamicMig())
        .isEqualTo(
            DynamicMig.planned(GPU, 9, 4, 4)
                .withInstance(new MigInstanceIds(0, 0, InMemoryMig.uuid(GPU, 0))));
    assertThat(steps)
        .containsExactly("prepare:gpu-instance-created", "prepare:compute-instance-created");
  }

  @Test
  void aTakenPlacementFailsTheClaimWithNvmlsAnswerAndCreatesNothing() {
    mig.existing(GPU, 19, new MigPlacement(5, 1));

    assertThatThrownBy(() -> effects.apply(plan(newMig("3g40gb", 9, 4, 4))))
        .isInstanceOf(EffectsFailedException.class)
        .hasMessage(
            "claim ml/infer (11111111-2222-4333-8444-555555555555): creating MIG device"
                + " gpu-3-mig-3g40gb-9-4 (profile id 9 at memory slices 4-7 of GPU "
                + GPU
                + ") failed at its GPU instance: nvmlDeviceCreateGpuInstanceWithPlacement failed:"
                + " Insufficient Resources (NVML error 23)");
    assertThat(mig.changes()).isEmpty();
    assertThat(steps).isEmpty();
  }

  @Test
  void aFailureOnTheSecondDeviceDestroysTheFirstAgain() {
    mig.existing(GPU, 19, new MigPlacement(6, 1));

    assertThatThrownBy(
            () -> effects.apply(plan(newMig("1g10gb", 19, 0, 1), newMig("1g10gb", 19, 6, 1))))
        .isInstanceOf(EffectsFailedException.class)
        .hasMessageContaining("gpu-3-mig-1g10gb-19-6");

    assertThat(mig.gpuInstances(GPU)).singleElement().satisfies(gi -> assertThat(gi.id()).isZero());
    assertThat(mig.changes())
        .containsExactly(
            "createGpuInstance " + GPU + " 1",
            "createFullComputeInstance " + GPU + " 1/0",
            "destroyComputeInstance " + GPU + " 1/0",
            "destroyGpuInstance " + GPU + " 1");
  }

  @Test
  void aComputeInstanceNvmlRefusesDestroysItsGpuInstance() {
    mig.failNext("createFullComputeInstance", InMemoryMig.UNKNOWN);

    assertThatThrownBy(() -> effects.apply(plan(newMig("2g20gb", 14, 0, 2))))
        .isInstanceOf(EffectsFailedException.class)
        .hasMessageContaining("failed at its compute instance in GPU instance 0")
        .hasMessageContaining("(NVML error 999)");
    assertThat(mig.gpuInstances(GPU)).isEmpty();
  }

  @Test
  void aMissingCapabilityMinorFailsTheClaimAndDestroysTheDevice() {
    mig.existing(GPU, 19, new MigPlacement(0, 1));
    mig.existing(GPU, 19, new MigPlacement(1, 1));
    mig.existing(GPU, 19, new MigPlacement(2, 1)); // the next instance gets id 3: no minor listed

    assertThatThrownBy(() -> effects.apply(plan(newMig("1g10gb", 19, 3, 1))))
        .isInstanceOf(EffectsFailedException.class)
        .hasMessageContaining("mig-minors lists no gpu3/gi3/access");
    assertThat(mig.gpuInstances(GPU)).hasSize(3);
  }

  private PreparedClaim completed(PreparePlan applied) {
    return applied.entry(ClaimState.PREPARE_COMPLETED);
  }

  @Test
  void undoDestroysExactlyTheRecordedInstancesComputeInstanceFirstAndRepeatsHarmlessly() {
    int admins = mig.existing(GPU, 19, new MigPlacement(0, 1));
    PreparedClaim claim = completed(effects.apply(plan(newMig("3g40gb", 9, 4, 4))));
    steps.clear();

    effects.undo(claim);
    effects.undo(claim);

    assertThat(mig.gpuInstances(GPU))
        .singleElement()
        .satisfies(gi -> assertThat(gi.id()).isEqualTo(admins));
    assertThat(steps)
        .containsExactly(
            "unprepare:compute-instance-destroyed", "unprepare:gpu-instance-destroyed");
  }

  @Test
  void undoLeavesAGpuInstanceWhoseIdNowHasAnotherPlacement() {
    PreparedClaim claim = completed(effects.apply(plan(newMig("1g10gb", 19, 0, 1))));
    mig.destroyComputeInstance(GPU, 0, 0);
    mig.destroyGpuInstance(GPU, 0);
    mig.existing(GPU, 19, new MigPlacement(2, 1)); // gets id 0 again

    effects.undo(claim);

    assertThat(mig.gpuInstances(GPU)).singleElement().satisfies(gi -> assertThat(gi.id()).isZero());
  }

  @Test
  void undoOfPlacementsNeverCreatedTouchesNothing() {
    mig.existing(GPU, 19, new MigPlacement(0, 1));

    effects.undo(plan(newMig("1g10gb", 19, 0, 1)).entry(ClaimState.PREPARE_STARTED));

    assertThat(mig.gpuInstances(GPU)).hasSize(1);
    assertThat(mig.changes()).isEmpty();
  }
}
