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
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Prepares claims for the kubelet: the one implementation behind both DRA API versions.
 *
 * <p>Per claim: a completed checkpoint entry is answered as recorded (idempotent, no API call, no
 * effects). Otherwise the claim is read from the API server and planned; then, under the node state
 * lock, conflicts with other claims are checked, {@code PREPARE_STARTED} is saved, effects are
 * applied, the CDI spec is written and {@code PREPARE_COMPLETED} is saved. A crash between any two
 * steps leaves a checkpoint that recovery and the kubelet's repeated call complete or undo. A
 * refusal writes nothing; a failure after {@code PREPARE_STARTED} is rolled back as far as possible
 * and otherwise left for the next call.
 *
 * <p>Thread-safe: calls for different claims may run concurrently; the lock makes the conflict
 * check and the writes of one claim atomic with respect to every other claim.
 */
public final class ClaimPreparer {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimPreparer.class);

  private final ClaimFetcher fetcher;
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
      ClaimFetcher fetcher,
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
    Optional<PrepareResult> done = completed(state.snapshot(), ref.uid());
    if (done.isPresent()) {
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
    return state.locked(() -> applyLocked(plan));
  }

  private PrepareResult applyLocked(PreparePlan plan) {
    ClaimRef ref = plan.claim();
    Checkpoint before = state.snapshot();
    // A concurrent call for the same claim may have finished while this one planned.
    Optional<PrepareResult> done = completed(before, ref.uid());
    if (done.isPresent()) {
      return done.get();
    }
    List<String> conflicts = before.conflicts(ref.uid(), plan.records());
    if (!conflicts.isEmpty()) {
      return new PrepareResult.Failed(
          "claim "
              + ref
              + ": device already prepared for another claim: "
              + String.join("; ", conflicts));
    }
    List<String> settings = GpuSettingConflicts.of(before, ref.uid(), plan.records());
    if (!settings.isEmpty()) {
      return new PrepareResult.Failed("claim " + ref + ": " + String.join("; ", settings));
    }
    // An earlier attempt that failed and could not roll back left what it made on record.
    Optional<PreparedClaim> leftover =
        before.claim(ref.uid()).filter(c -> c.state() == ClaimState.PREPARE_STARTED);
    if (leftover.isPresent()) {
      effects.undo(leftover.get());
    }
    // The plan's records say what will be created (a MIG placement) before anything is.
    state.save(before.with(plan.entry(ClaimState.PREPARE_STARTED)));
    steps.reached("prepare:started-saved");
    PreparePlan applied = plan;
    try {
      applied = effects.apply(plan);
      steps.reached("prepare:effects-applied");
      ClaimSpec spec = specs.build(ref.uid(), applied.hardware());
      writer.write(spec);
      steps.reached("prepare:spec-written");
      state.save(state.snapshot().with(applied.entry(ClaimState.PREPARE_COMPLETED)));
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

  private void rollBack(PreparePlan plan, RuntimeException cause) {
    PreparedClaim started = plan.entry(ClaimState.PREPARE_STARTED);
    try {
      effects.undo(started);
      writer.delete(plan.claim().uid());
      state.save(state.snapshot().without(plan.claim().uid()));
    } catch (RuntimeException e) {
      // The PREPARE_STARTED entry stays, recording what was made: the kubelet's next prepare or
      // unprepare undoes it.
      cause.addSuppressed(e);
      try {
        state.save(state.snapshot().with(started));
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

  private static Optional<PrepareResult> completed(Checkpoint checkpoint, String uid) {
    return checkpoint
        .claim(uid)
        .filter(c -> c.state() == ClaimState.PREPARE_COMPLETED)
        .map(c -> new PrepareResult.Prepared(c.devices()));
  }
}
