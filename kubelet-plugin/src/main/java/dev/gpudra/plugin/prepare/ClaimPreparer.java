package dev.gpudra.plugin.prepare;

import dev.gpudra.cdi.ClaimSpec;
import dev.gpudra.cdi.ClaimSpecBuilder;
import dev.gpudra.cdi.io.CdiSpecWriter;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.GpuSettingConflicts;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.plugin.metrics.PluginMetrics;
import dev.gpudra.plugin.state.NodeState;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Prepares claims for the kubelet: the one implementation behind both DRA API versions.
 *
 * <p>Per claim: a completed checkpoint entry whose CDI spec exists is answered as recorded
 * (idempotent, no API call, no effects); one whose spec is gone gets it written again from the
 * claim, still without effects. Otherwise the claim is read from the API server and planned; then,
 * as the only call for that claim, conflicts with other claims are checked and the devices reserved
 * ({@code PREPARE_STARTED} in memory, atomically with the check); when effects follow, {@code
 * PREPARE_STARTED} is made durable and the effects are applied; the CDI spec is written (for this
 * boot: not fsync'ed, see {@link CdiSpecWriter}) and {@code PREPARE_COMPLETED} is made durable; the
 * answer waits for it. A crash between any two steps leaves a checkpoint that recovery and the
 * kubelet's repeated call complete or undo: a spec without an entry is removed, an entry without
 * its spec is prepared again. A refusal writes nothing; a failure after the reservation is rolled
 * back as far as possible and otherwise left for the next call.
 *
 * <p>Thread-safe: calls for different claims run concurrently and share checkpoint writes ({@link
 * NodeState} group commit); effects of different claims run one at a time.
 */
public final class ClaimPreparer {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimPreparer.class);

  private final ClaimSource fetcher;
  private final PreparePlanner planner;
  private final NodeState state;
  private final ClaimEffects effects;
  private final ClaimSpecBuilder specs;
  private final CdiSpecWriter writer;
  private final StepListener steps;
  private final PluginMetrics metrics;

  /**
   * @param fetcher reads claims
   * @param planner plans them
   * @param state the node's prepared claims
   * @param effects node changes beyond the spec
   * @param specs builds CDI specs
   * @param writer writes CDI specs
   * @param steps told of every durable step
   * @param metrics measures every call
   */
  public ClaimPreparer(
      ClaimSource fetcher,
      PreparePlanner planner,
      NodeState state,
      ClaimEffects effects,
      ClaimSpecBuilder specs,
      CdiSpecWriter writer,
      StepListener steps,
      PluginMetrics metrics) {
    this.fetcher = fetcher;
    this.planner = planner;
    this.state = state;
    this.effects = effects;
    this.specs = specs;
    this.writer = writer;
    this.steps = steps;
    this.metrics = metrics;
  }

  /** Prepares {@code ref}; never throws, every failure is that claim's result. */
  public PrepareResult prepare(ClaimRef ref) {
    long start = System.nanoTime();
    PrepareResult result = null;
    // The claim in the MDC tags every log line of this call.
    MDC.put("claim", ref.toString());
    try {
      result = prepareLogged(ref);
      return result;
    } finally {
      MDC.remove("claim");
      metrics.prepareDone(
          result instanceof PrepareResult.Prepared ? PluginMetrics.SUCCESS : PluginMetrics.ERROR,
          Duration.ofNanos(System.nanoTime() - start));
    }
  }

  private PrepareResult prepareLogged(ClaimRef ref) {
    try {
      PrepareResult result = prepareOrRefuse(ref);
      if (result instanceof PrepareResult.Failed failed) {
        LOG.warn("prepare failed: {}", failed.error());
      }
      return result;
    } catch (PrepareRefusedException e) {
      LOG.warn("prepare refused: {}", e.getMessage());
      return new PrepareResult.Failed(e.getMessage());
    } catch (EffectsFailedException e) {
      LOG.warn("prepare failed: {}", e.getMessage());
      return new PrepareResult.Failed(e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("prepare of claim {} failed", ref, e);
      return new PrepareResult.Failed("claim " + ref + ": preparing failed: " + e);
    }
  }

  private PrepareResult prepareOrRefuse(ClaimRef ref) throws PrepareRefusedException {
    String problem = ref.problem();
    if (problem != null) {
      return new PrepareResult.Failed(problem);
    }
    Optional<PrepareResult> done = completed(state.durableClaim(ref.uid()));
    if (done.isPresent() && specExists(ref.uid())) {
      return done.get();
    }
    ResourceClaim claim;
    try {
      claim =
          fetcher
              .fetch(ref.namespace(), ref.name())
              .orElseThrow(
                  () ->
                      new PrepareRefusedException(
                          "claim " + ref + ": ResourceClaim not found in the API server"));
    } catch (KubernetesClientException e) {
      return new PrepareResult.Failed(
          "claim " + ref + ": reading the ResourceClaim failed: " + e.getMessage());
    }
    PreparePlan plan = planner.plan(ref, claim);
    return state.forClaim(ref.uid(), () -> apply(plan));
  }

  private boolean specExists(String uid) {
    return Files.exists(writer.specPath(uid));
  }

  /**
   * A completed claim whose CDI spec is gone (deleted behind the plugin's back): the runtime cannot
   * start its containers, so the spec is written again from {@code plan}, which names the devices
   * the checkpoint holds, with no effects (they are in place). A plan that would make devices
   * (dynamic MIG) cannot name the existing ones, so that claim fails with the reason instead.
   */
  private PrepareResult rewriteSpec(PreparePlan plan, PrepareResult recorded) {
    ClaimRef ref = plan.claim();
    if (plan.devices().stream().anyMatch(d -> !(d instanceof PlannedDevice.Existing))) {
      return new PrepareResult.Failed(
          "claim "
              + ref
              + ": its CDI spec "
              + writer.specPath(ref.uid())
              + " is missing and its dynamic MIG devices cannot be named again;"
              + " delete the pod to unprepare and prepare the claim anew");
    }
    writer.write(specs.build(ref.uid(), plan.hardware()));
    LOG.warn("the CDI spec of prepared claim {} was missing; wrote it again", ref);
    return recorded;
  }

  // Runs as the only call for this claim: decide and reserve in memory, then the durable steps.
  private PrepareResult apply(PreparePlan plan) {
    ClaimRef ref = plan.claim();
    // A concurrent call for the same claim may have finished while this one planned.
    Optional<PrepareResult> done = completed(state.durableClaim(ref.uid()));
    if (done.isPresent()) {
      return specExists(ref.uid()) ? done.get() : rewriteSpec(plan, done.get());
    }
    boolean changesNode = effects.changesNode(plan);
    // An earlier attempt that failed and could not roll back left what it made on record. Undone
    // before the state lock is taken, never under it: effects read the state while they run. This
    // call holds the claim's lock, so the leftover stays what it is until the reservation below
    // replaces it.
    state
        .snapshot()
        .claim(ref.uid())
        .filter(c -> c.state() == ClaimState.PREPARE_STARTED)
        .ifPresent(leftover -> state.effects(() -> undo(leftover)));
    Reservation started =
        state.locked(
            () -> {
              Checkpoint before = state.snapshot();
              // Decided with the reservation, from the same state: a completed record is never
              // replaced by a new start, whichever instance completed it.
              if (before
                  .claim(ref.uid())
                  .filter(c -> c.state() == ClaimState.PREPARE_COMPLETED)
                  .isPresent()) {
                return new Reservation(0, Optional.empty(), true);
              }
              List<String> conflicts = before.conflicts(ref.uid(), plan.records());
              if (!conflicts.isEmpty()) {
                return new Reservation(
                    0,
                    Optional.of(
                        "device already prepared for another claim: "
                            + String.join("; ", conflicts)),
                    false);
              }
              List<String> settings = GpuSettingConflicts.of(before, ref.uid(), plan.records());
              if (!settings.isEmpty()) {
                return new Reservation(0, Optional.of(String.join("; ", settings)), false);
              }
              // Reserves the devices in memory at once; on disk only when effects follow, so that
              // a crash leaves a record of what they may have made (the plan's records say what
              // will be created, a MIG placement, before anything is).
              return new Reservation(
                  state.put(plan.entry(ClaimState.PREPARE_STARTED)), Optional.empty(), false);
            });
    if (started.refusal().isPresent()) {
      return new PrepareResult.Failed("claim " + ref + ": " + started.refusal().get());
    }
    if (started.completed()) {
      // Completed by the other instance on this node (its record is on disk) or by an earlier
      // holder of this claim's lock, which made it durable before letting go.
      Optional<PrepareResult> recorded = completed(state.durableClaim(ref.uid()));
      if (recorded.isPresent()) {
        return specExists(ref.uid()) ? recorded.get() : rewriteSpec(plan, recorded.get());
      }
      return new PrepareResult.Failed(
          "claim " + ref + ": its completed record went away while it was being prepared");
    }
    PreparePlan applied = plan;
    try {
      if (changesNode) {
        state.awaitDurable(started.seq());
        steps.reached("prepare:started-saved");
        applied = state.effects(() -> effects.apply(plan));
      }
      steps.reached("prepare:effects-applied");
      ClaimSpec spec = specs.build(ref.uid(), applied.hardware());
      // Visible to the runtime at once, never fsync'ed: a spec lives for this boot only
      // (CdiSpecWriter); the completed record is what must be durable before the answer.
      writer.write(spec);
      steps.reached("prepare:spec-written");
      state.awaitDurable(state.put(applied.entry(ClaimState.PREPARE_COMPLETED)));
      steps.reached("prepare:completed-saved");
    } catch (RuntimeException e) {
      // A failed apply removed what it made; after a successful one, its records say what to undo.
      rollBack(applied, e);
      throw e;
    }
    publishGauges();
    LOG.info(
        "prepared claim {}: {}", ref, applied.records().stream().map(d -> d.deviceName()).toList());
    return new PrepareResult.Prepared(applied.records());
  }

  /**
   * The devices reserved as change {@code seq}, or why they were refused, or that the claim was
   * found completed and nothing was reserved.
   */
  private record Reservation(long seq, Optional<String> refusal, boolean completed) {}

  private Void undo(PreparedClaim claim) {
    effects.undo(claim);
    return null;
  }

  private void rollBack(PreparePlan plan, RuntimeException cause) {
    PreparedClaim started = plan.entry(ClaimState.PREPARE_STARTED);
    try {
      state.effects(() -> undo(started));
      writer.delete(plan.claim().uid());
      state.awaitDurable(state.remove(plan.claim().uid()));
    } catch (RuntimeException e) {
      // The PREPARE_STARTED entry stays, recording what was made: the kubelet's next prepare or
      // unprepare undoes it.
      cause.addSuppressed(e);
      try {
        state.awaitDurable(state.put(started));
      } catch (RuntimeException again) {
        cause.addSuppressed(again);
      }
    }
  }

  private void publishGauges() {
    Checkpoint now = state.snapshot();
    metrics.preparedNow(
        now.claims().size(), now.entries().stream().mapToInt(c -> c.devices().size()).sum());
  }

  private static Optional<PrepareResult> completed(Optional<PreparedClaim> entry) {
    return entry
        .filter(c -> c.state() == ClaimState.PREPARE_COMPLETED)
        .map(c -> new PrepareResult.Prepared(c.devices()));
  }
}
