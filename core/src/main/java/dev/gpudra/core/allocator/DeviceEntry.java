package dev.gpudra.core.allocator;

import dev.gpudra.core.cel.DeviceInput;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import java.util.Map;

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

  // Benign races: concurrent first uses build equal values; the reference writes are atomic.
  private volatile DeviceInput celInput;
  private volatile Map<String, ParsedCapacity> capacities;
  private volatile Boolean fitsUnrequested;

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

  /** The device's capacities, parsed. */
  Map<String, ParsedCapacity> capacities() {
    Map<String, ParsedCapacity> c = capacities;
    if (c == null) {
      c = ParsedCapacity.of(device.getCapacity());
      capacities = c;
    }
    return c;
  }

  /** Whether a request without capacity requests fits the device when nobody else uses it. */
  boolean fitsUnrequested() {
    Boolean f = fitsUnrequested;
    if (f == null) {
      f = CapacityCheck.computeFits(RequestView.NO_CAPACITY, this, Map.of(), Map.of());
      fitsUnrequested = f;
    }
    return f;
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
