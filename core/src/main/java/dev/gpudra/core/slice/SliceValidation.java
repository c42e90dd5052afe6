package dev.gpudra.core.slice;

import com.google.errorprone.annotations.FormatMethod;
import com.google.errorprone.annotations.FormatString;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSet;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumption;
import java.util.regex.Pattern;

/**
 * The API server's per-device and per-counter-set limits, checked before anything is published: a
 * slice the API server rejects would leave the node's GPUs invisible to the scheduler. A violation
 * here is a bug in the mapping, hence an {@link IllegalStateException}.
 */
final class SliceValidation {

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private SliceValidation() {}

  static void checkDevice(Device device) {
    String name = device.getName();
    require(DNS_LABEL.matcher(name).matches(), "device name '%s' is not a DNS label", name);
    int entries = device.getAttributes().size() + device.getCapacity().size();
    require(
        entries <= SliceLimits.MAX_ATTRIBUTES_AND_CAPACITIES,
        "device %s has %d attributes and capacities (limit %d)",
        name,
        entries,
        SliceLimits.MAX_ATTRIBUTES_AND_CAPACITIES);
    device.getAttributes().forEach((key, value) -> checkAttribute(name, key, value));
    require(
        device.getConsumesCounters().size() <= SliceLimits.MAX_CONSUMPTIONS_PER_DEVICE,
        "device %s consumes from %d counter sets (limit %d)",
        name,
        device.getConsumesCounters().size(),
        SliceLimits.MAX_CONSUMPTIONS_PER_DEVICE);
    for (DeviceCounterConsumption consumption : device.getConsumesCounters()) {
      require(
          consumption.getCounters().size() <= SliceLimits.MAX_COUNTERS_PER_SET,
          "device %s consumes %d counters (limit %d)",
          name,
          consumption.getCounters().size(),
          SliceLimits.MAX_COUNTERS_PER_SET);
    }
  }

  static void checkCounterSet(CounterSet set) {
    require(
        DNS_LABEL.matcher(set.getName()).matches(),
        "counter set name '%s' is not a DNS label",
        set.getName());
    require(
        set.getCounters().size() <= SliceLimits.MAX_COUNTERS_PER_SET,
        "counter set %s has %d counters (limit %d)",
        set.getName(),
        set.getCounters().size(),
        SliceLimits.MAX_COUNTERS_PER_SET);
    set.getCounters()
        .keySet()
        .forEach(
            counter ->
                require(
                    DNS_LABEL.matcher(counter).matches(),
                    "counter '%s' is not a DNS label",
                    counter));
  }

  private static void checkAttribute(String device, String key, DeviceAttribute value) {
    String text = value.getString() != null ? value.getString() : value.getVersion();
    if (text != null) {
      require(
          SliceLimits.utf8Length(text) <= SliceLimits.MAX_ATTRIBUTE_LENGTH,
          "attribute %s of device %s is %d bytes long (limit %d)",
          key,
          device,
          SliceLimits.utf8Length(text),
          SliceLimits.MAX_ATTRIBUTE_LENGTH);
    }
  }

  @FormatMethod
  private static void require(boolean condition, @FormatString String format, Object... args) {
    if (!condition) {
      throw new IllegalStateException(String.format(format, args));
    }
  }
}
