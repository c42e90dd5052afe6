package dev.gpudra.cdi;

/**
 * What discovery found about a node's NVIDIA driver: the files containers need, the device majors,
 * and the MIG capability minors.
 *
 * @param files driver user-space files
 * @param majors character device majors
 * @param migMinors MIG capability minors, {@link MigMinors#NONE} without MIG support
 */
public record NodeDriverInfo(DriverFiles files, DeviceMajors majors, MigMinors migMinors) {
  /** All parts are required. */
  public NodeDriverInfo {
    if (files == null || majors == null || migMinors == null) {
      throw new IllegalArgumentException("files, majors and migMinors are required");
    }
  }
}
