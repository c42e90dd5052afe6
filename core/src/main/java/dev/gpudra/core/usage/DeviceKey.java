package dev.gpudra.core.usage;

import java.util.Objects;

/**
 * The labels devices are counted by: node, product, device type and state. Bounded: no device or
 * claim names.
 */
public record DeviceKey(String node, String product, String type, DeviceState state) {
  public DeviceKey {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(product, "product");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(state, "state");
  }
}
