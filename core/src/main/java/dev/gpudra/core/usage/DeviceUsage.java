package dev.gpudra.core.usage;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSet;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumption;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Counts a driver's published devices by node, product, type and state, from the slices and the
 * allocated claims (pure).
 *
 * <p>Only the newest generation of each pool counts, as for the scheduler. A device is {@link
 * DeviceState#ALLOCATED} when a claim holds it, else {@link DeviceState#TAINTED} when it carries a
 * {@code NoSchedule} or {@code NoExecute} taint, else {@link DeviceState#UNAVAILABLE} when the
 * shared counters it would consume are taken, else {@link DeviceState#FREE}.
 */
public final class DeviceUsage {

  private static final String UNKNOWN = "unknown";

  private DeviceUsage() {}

  /** Device counts by key, sorted for stable output. */
  public static Map<DeviceKey, Long> count(
      List<ResourceSlice> slices, List<ResourceClaim> claims, String driver) {
    List<ResourceSlice> current = newestGenerations(slices, driver);
    Set<String> allocated = new HashSet<>();
    for (ResourceClaim claim : claims) {
      for (DeviceRequestAllocationResult result : results(claim)) {
        if (driver.equals(result.getDriver())) {
          allocated.add(result.getPool() + "/" + result.getDevice());
        }
      }
    }
    Map<String, BigDecimal> remaining = new HashMap<>();
    for (ResourceSlice slice : current) {
      String pool = slice.getSpec().getPool().getName();
      for (CounterSet set : slice.getSpec().getSharedCounters()) {
        set.getCounters()
            .forEach(
                (name, counter) ->
                    remaining.put(key(pool, set.getName(), name), amount(counter.getValue())));
      }
    }
    for (ResourceSlice slice : current) {
      String pool = slice.getSpec().getPool().getName();
      for (Device device : slice.getSpec().getDevices()) {
        if (allocated.contains(pool + "/" + device.getName())) {
          consume(remaining, pool, device.getConsumesCounters());
        }
      }
    }
    Map<DeviceKey, Long> counts =
        new TreeMap<>(
            Comparator.comparing(DeviceKey::node)
                .thenComparing(DeviceKey::product)
                .thenComparing(DeviceKey::type)
                .thenComparing(DeviceKey::state));
    for (ResourceSlice slice : current) {
      String pool = slice.getSpec().getPool().getName();
      String node = slice.getSpec().getNodeName() != null ? slice.getSpec().getNodeName() : pool;
      for (Device device : slice.getSpec().getDevices()) {
        DeviceState state;
        if (allocated.contains(pool + "/" + device.getName())) {
          state = DeviceState.ALLOCATED;
        } else if (tainted(device)) {
          state = DeviceState.TAINTED;
        } else if (!fits(remaining, pool, device.getConsumesCounters())) {
          state = DeviceState.UNAVAILABLE;
        } else {
          state = DeviceState.FREE;
        }
        DeviceKey key =
            new DeviceKey(node, string(device, "productName"), string(device, "type"), state);
        counts.merge(key, 1L, Long::sum);
      }
    }
    return counts;
  }

  private static List<ResourceSlice> newestGenerations(List<ResourceSlice> slices, String driver) {
    Map<String, Long> newest = new HashMap<>();
    for (ResourceSlice slice : slices) {
      if (slice.getSpec() != null && driver.equals(slice.getSpec().getDriver())) {
        newest.merge(slice.getSpec().getPool().getName(), generation(slice), Math::max);
      }
    }
    List<ResourceSlice> current = new ArrayList<>();
    for (ResourceSlice slice : slices) {
      if (slice.getSpec() != null
          && driver.equals(slice.getSpec().getDriver())
          && generation(slice) == newest.get(slice.getSpec().getPool().getName())) {
        current.add(slice);
      }
    }
    return current;
  }

  private static long generation(ResourceSlice slice) {
    Long generation = slice.getSpec().getPool().getGeneration();
    return generation == null ? 0 : generation;
  }

  private static boolean tainted(Device device) {
    return device.getTaints().stream()
        .anyMatch(t -> "NoSchedule".equals(t.getEffect()) || "NoExecute".equals(t.getEffect()));
  }

  private static void consume(
      Map<String, BigDecimal> remaining, String pool, List<DeviceCounterConsumption> uses) {
    for (DeviceCounterConsumption use : uses) {
      use.getCounters()
          .forEach(
              (name, counter) ->
                  remaining.computeIfPresent(
                      key(pool, use.getCounterSet(), name),
                      (k, left) -> left.subtract(amount(counter.getValue()))));
    }
  }

  private static boolean fits(
      Map<String, BigDecimal> remaining, String pool, List<DeviceCounterConsumption> uses) {
    for (DeviceCounterConsumption use : uses) {
      for (var entry : use.getCounters().entrySet()) {
        BigDecimal left = remaining.get(key(pool, use.getCounterSet(), entry.getKey()));
        if (left != null && left.compareTo(amount(entry.getValue().getValue())) < 0) {
          return false;
        }
      }
    }
    return true;
  }

  private static String key(String pool, String counterSet, String counter) {
    return pool + "/" + counterSet + "/" + counter;
  }

  private static BigDecimal amount(Quantity quantity) {
    return quantity == null ? BigDecimal.ZERO : quantity.getNumericalAmount();
  }

  private static String string(Device device, String attribute) {
    DeviceAttribute value = device.getAttributes().get(attribute);
    return value == null || value.getString() == null ? UNKNOWN : value.getString();
  }

  private static List<DeviceRequestAllocationResult> results(ResourceClaim claim) {
    if (claim.getStatus() == null
        || claim.getStatus().getAllocation() == null
        || claim.getStatus().getAllocation().getDevices() == null) {
      return List.of();
    }
    return claim.getStatus().getAllocation().getDevices().getResults();
  }
}
