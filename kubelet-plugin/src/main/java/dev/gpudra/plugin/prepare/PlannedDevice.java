package dev.gpudra.plugin.prepare;

import dev.gpudra.cdi.PreparedDevice;
import dev.gpudra.cdi.Sharing;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import java.util.Objects;

/**
 * One device of a plan: what the checkpoint will record and, for the CDI spec, the hardware it is
 * or will be.
 */
public sealed interface PlannedDevice {

  /** The checkpoint record, also the answer to the kubelet. */
  CheckpointedDevice record();

  /**
   * A device that exists: a GPU, a MIG device an administrator made, or one the plugin made for
   * this claim.
   *
   * @param record the checkpoint record
   * @param hardware the device with its kernel numbers, for the CDI spec
   */
  record Existing(CheckpointedDevice record, PreparedDevice hardware) implements PlannedDevice {
    /** Requires both parts, naming the same device. */
    public Existing {
      Objects.requireNonNull(record, "record");
      Objects.requireNonNull(hardware, "hardware");
      if (!record.deviceName().equals(hardware.deviceName())) {
        throw new IllegalArgumentException("record and hardware name different devices");
      }
    }
  }

  /**
   * A MIG device to create at a placement (dynamic MIG); {@link ClaimEffects#apply} turns it into
   * an {@link Existing} device.
   *
   * @param record the checkpoint record, holding the placement and no instance yet
   * @param parentMinor minor number of the GPU it goes on
   * @param sharing how the created device is shared
   */
  record NewMig(CheckpointedDevice record, int parentMinor, Sharing sharing)
      implements PlannedDevice {
    /** Requires a record of a placement without an instance. */
    public NewMig {
      Objects.requireNonNull(record, "record");
      Objects.requireNonNull(sharing, "sharing");
      if (record.dynamicMig() == null || record.dynamicMig().instance() != null) {
        throw new IllegalArgumentException(
            "a new MIG device needs a placement and no instance: " + record.deviceName());
      }
    }
  }
}
