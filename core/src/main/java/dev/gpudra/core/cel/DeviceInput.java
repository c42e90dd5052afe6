package dev.gpudra.core.cel;

import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The {@code device} variable of a selector: driver, attributes and capacity grouped by domain.
 *
 * <p>Names without a domain belong to the driver's domain, so {@code gpu.gpudra.dev/memory} and
 * {@code memory} in a slice of driver {@code gpu.gpudra.dev} are the same entry. An unknown domain
 * reads as an empty map (as in Kubernetes); an unknown name inside a domain is a runtime error that
 * selectors avoid with {@code has()}.
 *
 * @param driver the driver of the slice that publishes the device
 * @param attributes attribute values by domain, then by name
 * @param capacity capacities by domain, then by name
 * @param allowMultipleAllocations whether the device may be allocated more than once
 */
public record DeviceInput(
    String driver,
    Map<String, Map<String, Object>> attributes,
    Map<String, Map<String, QuantityValue>> capacity,
    boolean allowMultipleAllocations) {

  private static final ParsedValues<SemverValue> VERSIONS =
      new ParsedValues<>(1024, SemverValue::parse);

  /** Validates and freezes the maps. */
  public DeviceInput {
    Objects.requireNonNull(driver, "driver");
    attributes = Map.copyOf(attributes);
    capacity = Map.copyOf(capacity);
  }

  /**
   * Builds the input for a device of a ResourceSlice.
   *
   * @throws IllegalArgumentException when an attribute has no value or a version is malformed
   */
  public static DeviceInput of(String driver, Device device) {
    Map<String, Map<String, Object>> attributes = new HashMap<>();
    if (device.getAttributes() != null) {
      for (Map.Entry<String, DeviceAttribute> e : device.getAttributes().entrySet()) {
        String[] name = qualified(e.getKey(), driver);
        attributes
            .computeIfAbsent(name[0], k -> new HashMap<>())
            .put(name[1], attributeValue(e.getKey(), e.getValue()));
      }
    }
    Map<String, Map<String, QuantityValue>> capacity = new HashMap<>();
    if (device.getCapacity() != null) {
      for (Map.Entry<String, DeviceCapacity> e : device.getCapacity().entrySet()) {
        String[] name = qualified(e.getKey(), driver);
        capacity
            .computeIfAbsent(name[0], k -> new HashMap<>())
            .put(name[1], Quantities.of(e.getValue().getValue()));
      }
    }
    return new DeviceInput(
        driver,
        freeze(attributes),
        freeze(capacity),
        Boolean.TRUE.equals(device.getAllowMultipleAllocations()));
  }

  private static <V> Map<String, Map<String, V>> freeze(Map<String, Map<String, V>> byDomain) {
    Map<String, Map<String, V>> out = new HashMap<>();
    byDomain.forEach((domain, values) -> out.put(domain, Map.copyOf(values)));
    return out;
  }

  private static String[] qualified(String name, String driver) {
    int slash = name.indexOf('/');
    return slash < 0
        ? new String[] {driver, name}
        : new String[] {name.substring(0, slash), name.substring(slash + 1)};
  }

  private static Object attributeValue(String name, DeviceAttribute a) {
    if (a.getInt() != null) {
      return a.getInt();
    }
    if (a.getBool() != null) {
      return a.getBool();
    }
    if (a.getString() != null) {
      return a.getString();
    }
    if (a.getVersion() != null) {
      try {
        return VERSIONS.parse(a.getVersion());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "attribute " + name + ": parse semantic version: " + e.getMessage(), e);
      }
    }
    throw new IllegalArgumentException("attribute " + name + ": unsupported attribute value");
  }

  /** The value bound to {@code device} during evaluation. */
  Map<String, Object> asVariable() {
    return Map.of(
        "driver",
        driver,
        "attributes",
        new EmptyDefaultMap<>(attributes),
        "capacity",
        new EmptyDefaultMap<>(capacity),
        "allowMultipleAllocations",
        allowMultipleAllocations);
  }

  /**
   * A by-domain map in which every domain exists: missing ones are empty, so that a selector
   * reading another driver's domain sees "no such attribute" rather than an error about the domain.
   */
  private static final class EmptyDefaultMap<V> extends AbstractMap<String, Map<String, V>> {
    private final Map<String, Map<String, V>> byDomain;

    EmptyDefaultMap(Map<String, Map<String, V>> byDomain) {
      this.byDomain = byDomain;
    }

    @Override
    public boolean containsKey(Object key) {
      return true;
    }

    @Override
    public Map<String, V> get(Object key) {
      return byDomain.getOrDefault(key, Map.of());
    }

    @Override
    public Set<Entry<String, Map<String, V>>> entrySet() {
      return byDomain.entrySet();
    }
  }
}
