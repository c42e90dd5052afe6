package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaint;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceToleration;
import java.util.List;
import java.util.Optional;

/**
 * The allocator's own taint rule, for code outside it that must say the same thing about a device
 * (pending-claim diagnosis): a device is unusable for a request while it carries a {@code
 * NoSchedule} or {@code NoExecute} taint that none of the request's tolerations matches.
 */
public final class DeviceTaints {
  private DeviceTaints() {}

  /**
   * The first taint of {@code taints} that keeps the device from a request with {@code
   * tolerations}.
   */
  public static Optional<DeviceTaint> untolerated(
      List<DeviceTaint> taints, List<DeviceToleration> tolerations) {
    for (DeviceTaint taint : NodeMatcher.nullToEmpty(taints)) {
      String effect = taint.getEffect();
      if (!"NoSchedule".equals(effect) && !"NoExecute".equals(effect)) {
        continue;
      }
      boolean tolerated = false;
      for (DeviceToleration t : NodeMatcher.nullToEmpty(tolerations)) {
        tolerated |= Search.tolerates(t, taint);
      }
      if (!tolerated) {
        return Optional.of(taint);
      }
    }
    return Optional.empty();
  }
}
