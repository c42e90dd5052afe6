package dev.gpudra.plugin.prepare;

import dev.gpudra.cdi.PreparedDevice;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import java.util.Objects;

/**
 * One device of a plan: what the checkpoint will record and what the CDI spec will hold.
 *
 * @param record the checkpoint record, also the answer to the kubelet
 * @param hardware the device with its kernel numbers, for the CDI spec
 */
public record PlannedDevice(CheckpointedDevice record, PreparedDevice hardware) {
  /** Requires both parts, naming the same device. */
  public PlannedDevice {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(hardware, "hardware");
    if (!record.deviceName().equals(hardware.deviceName())) {
      throw new IllegalArgumentException("record and hardware name different devices");
    }
  }
}
