package dev.gpudra.e2e.scale;

import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Follows the allocations an informer shows, claim by claim, to count what a race between two
 * allocators leaves behind: devices ever shown in two claims at once, allocations taken back from
 * pre-bound claims, and when the allocations stopped changing. Thread-safe (synchronized).
 */
public final class RaceCounter {

  private static final String PREBOUND_LABEL = "gpu.gpudra.dev/prebound";

  private final Map<String, Set<String>> devicesByClaim = new HashMap<>();
  private final Set<String> everDoubled = new HashSet<>();
  private int released;
  private long lastChange = System.nanoTime();

  /** Records the claim's current allocation. */
  public synchronized void seen(ResourceClaim claim) {
    String uid = claim.getMetadata().getUid();
    Set<String> devices = new HashSet<>();
    if (claim.getStatus() != null && claim.getStatus().getAllocation() != null) {
      for (DeviceRequestAllocationResult r :
          claim.getStatus().getAllocation().getDevices().getResults()) {
        devices.add(r.getPool() + "/" + r.getDevice());
      }
    }
    Set<String> before = devicesByClaim.getOrDefault(uid, Set.of());
    if (before.equals(devices)) {
      return;
    }
    lastChange = System.nanoTime();
    var labels = claim.getMetadata().getLabels();
    if (!before.isEmpty()
        && devices.isEmpty()
        && labels != null
        && "true".equals(labels.get(PREBOUND_LABEL))
        && claim.getMetadata().getDeletionTimestamp() == null) {
      released++;
    }
    devicesByClaim.put(uid, devices);
    for (String d : devices) {
      for (var other : devicesByClaim.entrySet()) {
        if (!other.getKey().equals(uid) && other.getValue().contains(d)) {
          everDoubled.add(d);
        }
      }
    }
  }

  /** Devices the informer ever showed in two claims at once. */
  public synchronized int everDoubled() {
    return everDoubled.size();
  }

  /** Allocations taken back from pre-bound claims that were not being deleted. */
  public synchronized int released() {
    return released;
  }

  private synchronized boolean settled(int claims, long quietNanos) {
    long allocated = devicesByClaim.values().stream().filter(d -> !d.isEmpty()).count();
    return allocated >= claims && System.nanoTime() - lastChange >= quietNanos;
  }

  /**
   * Waits until {@code claims} claims are allocated and no allocation changed for {@code quiet}.
   *
   * @return milliseconds waited, or -1 when {@code deadline} (a {@link System#nanoTime}) passed
   */
  public long awaitSettled(int claims, java.time.Duration quiet, long deadline)
      throws InterruptedException {
    long start = System.nanoTime();
    while (!settled(claims, quiet.toNanos())) {
      if (System.nanoTime() > deadline) {
        return -1;
      }
      Thread.sleep(100);
    }
    return (System.nanoTime() - start) / 1_000_000;
  }
}
