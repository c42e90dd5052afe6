package dev.gpudra.cdi.spec;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One named device of a CDI spec ({@code devices[]}).
 *
 * @param name device name, unique within the spec's kind
 * @param containerEdits what injecting this device does; never empty
 */
@JsonPropertyOrder({"name", "containerEdits"})
public record CdiDevice(String name, ContainerEdits containerEdits) {

  /** Validates the name and requires edits, as the reference implementation does. */
  public CdiDevice {
    if (!CdiNameRules.isValidDeviceName(name)) {
      throw new IllegalArgumentException(
          "invalid CDI device name "
              + (name == null ? "null" : ContainerPaths.quote(name))
              + ": letters, digits and _-.: only, starting and ending with a letter or digit");
    }
    if (containerEdits == null || containerEdits.isEmpty()) {
      throw new IllegalArgumentException("CDI device " + name + " has no container edits");
    }
  }
}
