package dev.gpudra.plugin.prepare;

import dev.gpudra.cdi.io.CdiSpecWriter;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.plugin.metrics.PluginMetrics;
import dev.gpudra.plugin.state.NodeState;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Unprepares claims from the checkpoint alone: the claim may be gone from the API server.
 *
 * <p>Order: undo effects, delete the claim's CDI spec, remove the checkpoint entry. A crash in
 * between leaves an entry whose spec may be gone; the kubelet's repeated call finishes it. A claim
 * without an entry succeeds (its spec, should one have survived a crash, is deleted too), so
 * repeating is harmless. Thread-safe like {@link ClaimPreparer}; the removal shares a checkpoint
 * write with whatever other calls commit at the same time.
 */
public final class ClaimUnpreparer {

  private static final Logger LOG = LoggerFactory.getLogger(ClaimUnpreparer.class);

  private final NodeState state;
  private final ClaimEffects effects;
  private final CdiSpecWriter writer;
  private final StepListener steps;
  private final PluginMetrics metrics;

  /**
   * @param state the node's prepared claims
   * @param effects node changes to undo
   * @param writer deletes CDI specs
   * @param steps told of every durable step
   * @param metrics measures every call
   */
  public ClaimUnpreparer(
      NodeState state,
      ClaimEffects effects,
      CdiSpecWriter writer,
      StepListener steps,
      PluginMetrics metrics) {
    this.state = state;
    this.effects = effects;
    this.writer = writer;
    this.steps = steps;
    this.metrics = metrics;
  }

  /**
   * Unprepares {@code ref}.
   *
   * @return empty on success, else the error for the kubelet
   */
  public Optional<String> unprepare(ClaimRef ref) {
    long start = System.nanoTime();
    Optional<String> error = Optional.of("not run");
    // The claim in the MDC tags every log line of this call.
    MDC.put("claim", ref.toString());
    try {
      error = unprepareLogged(ref);
      return error;
    } finally {
      MDC.remove("claim");
      metrics.unprepareDone(
          error.isEmpty() ? PluginMetrics.SUCCESS : PluginMetrics.ERROR,
          Duration.ofNanos(System.nanoTime() - start));
    }
  }

  private Optional<String> unprepareLogged(ClaimRef ref) {
    // Unprepare needs only the UID: the checkpoint holds everything else.
    String problem = new ClaimRef("-", ref.uid(), "-").problem();
    if (problem != null) {
      return Optional.of(problem);
    }
    try {
      return state.forClaim(ref.uid(), () -> unprepareClaim(ref));
    } catch (RuntimeException e) {
      LOG.error("unprepare of claim {} failed", ref, e);
      return Optional.of("claim " + ref + ": unpreparing failed: " + e);
    }
  }

  // Runs as the only call for this claim, so no prepare of it is in flight.
  private Optional<String> unprepareClaim(ClaimRef ref) {
    Optional<PreparedClaim> entry = state.durableClaim(ref.uid());
    if (entry.isEmpty()) {
      if (writer.delete(ref.uid())) {
        LOG.info("removed the leftover CDI spec of unknown claim {}", ref);
      }
      return Optional.empty();
    }
    state.effects(
        () -> {
          effects.undo(entry.get());
          return null;
        });
    steps.reached("unprepare:effects-undone");
    writer.delete(ref.uid());
    steps.reached("unprepare:spec-deleted");
    // Frees the devices in memory at once; the answer waits until the removal is durable.
    state.awaitDurable(state.remove(ref.uid()));
    steps.reached("unprepare:entry-removed");
    Checkpoint after = state.snapshot();
    metrics.preparedNow(
        after.claims().size(), after.entries().stream().mapToInt(c -> c.devices().size()).sum());
    LOG.info("unprepared claim {}", ref);
    return Optional.empty();
  }
}
