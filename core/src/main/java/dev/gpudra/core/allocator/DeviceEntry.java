package dev.gpudra.core.allocator;

import dev.gpudra.core.cel.DeviceInput;
import io.fabric8.kubernetes.api.model.resource.v1.Device;

/**
 * One device of a prepared slice. The CEL view of the device is built on first use and then reused
 * by every later allocation; building it is the costly part of selector evaluation.
 */
final class DeviceEntry {
  final DeviceId id;
  final Device device;
  final SliceEntry slice;
  final boolean allowMultipleAllocations;
  final boolean consumesCounters;
  final boolean hasBindingConditions;

  // Benign race: concurrent first uses build equal values; the reference write is atomic.
  private volatile DeviceInput celInput;

  DeviceEntry(DeviceId id, Device device, SliceEntry slice) {
    this.id = id;
    this.device = device;
    this.slice = slice;
    this.allowMultipleAllocations = Boolean.TRUE.equals(device.getAllowMultipleAllocations());
    this.consumesCounters =
        device.getConsumesCounters() != null && !device.getConsumesCounters().isEmpty();
    this.hasBindingConditions =
        device.getBindingConditions() != null && !device.getBindingConditions().isEmpty();
  }

  /**
   * The device as selectors see it.
   *
   * @throws IllegalArgumentException when an attribute cannot be represented
   */
  DeviceInput celInput() {
    DeviceInput input = celInput;
    if (input == null) {
      input = DeviceInput.of(id.driver(), device);
      celInput = input;
    }
    return input;
  }
}
