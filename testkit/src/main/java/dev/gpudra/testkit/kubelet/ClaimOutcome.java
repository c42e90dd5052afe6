package dev.gpudra.testkit.kubelet;

import java.util.List;

/**
 * What the plugin answered for one claim, version-neutral.
 *
 * @param devices prepared devices (empty for unprepare or on error)
 * @param error the error string, empty on success
 */
public record ClaimOutcome(List<PreparedDeviceView> devices, String error) {

  /** Copies. */
  public ClaimOutcome {
    devices = List.copyOf(devices);
  }

  /** True when the plugin reported no error. */
  public boolean ok() {
    return error.isEmpty();
  }

  /**
   * One device of a prepare answer.
   *
   * @param requestNames requests served
   * @param poolName pool
   * @param deviceName device
   * @param cdiDeviceIds CDI ids
   * @param shareId the share of a device allocated to several claims; {@code null} when the answer
   *     has none
   */
  public record PreparedDeviceView(
      List<String> requestNames,
      String poolName,
      String deviceName,
      List<String> cdiDeviceIds,
      String shareId) {
    /** Copies. */
    public PreparedDeviceView {
      requestNames = List.copyOf(requestNames);
      cdiDeviceIds = List.copyOf(cdiDeviceIds);
    }

    /** A device allocated whole (no share). */
    public PreparedDeviceView(
        List<String> requestNames, String poolName, String deviceName, List<String> cdiDeviceIds) {
      this(requestNames, poolName, deviceName, cdiDeviceIds, null);
    }
  }
}
