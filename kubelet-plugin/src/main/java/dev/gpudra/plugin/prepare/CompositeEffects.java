package dev.gpudra.plugin.prepare;

import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import java.util.ArrayList;
import java.util.List;

/**
 * Several kinds of effects as one: applied in the given order, each on the plan the previous one
 * returned (MIG devices are created before anything is set on them), undone in reverse order. When
 * one fails to apply, those applied before it are undone from the records they returned, so the
 * failed prepare leaves nothing behind, as {@link ClaimEffects} requires.
 */
public final class CompositeEffects implements ClaimEffects {

  private final List<ClaimEffects> parts;

  /**
   * @param parts the effects in apply order
   */
  public CompositeEffects(List<ClaimEffects> parts) {
    this.parts = List.copyOf(parts);
  }

  @Override
  public PreparePlan apply(PreparePlan plan) {
    List<PreparePlan> applied = new ArrayList<>();
    PreparePlan current = plan;
    for (ClaimEffects part : parts) {
      try {
        current = part.apply(current);
      } catch (RuntimeException e) {
        for (int i = applied.size() - 1; i >= 0; i--) {
          try {
            parts.get(i).undo(applied.get(i).entry(ClaimState.PREPARE_STARTED));
          } catch (RuntimeException again) {
            e.addSuppressed(again);
          }
        }
        throw e;
      }
      applied.add(current);
    }
    return current;
  }

  @Override
  public boolean changesNode(PreparePlan plan) {
    return parts.stream().anyMatch(part -> part.changesNode(plan));
  }

  @Override
  public void undo(PreparedClaim claim) {
    RuntimeException first = null;
    for (int i = parts.size() - 1; i >= 0; i--) {
      try {
        parts.get(i).undo(claim);
      } catch (RuntimeException e) {
        // Every part gets its chance; the first failure is the claim's error.
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
