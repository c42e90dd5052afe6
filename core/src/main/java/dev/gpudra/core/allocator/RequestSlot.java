package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import java.util.List;

/**
 * A request or sub-request prepared for the search.
 *
 * @param slot index used to memoise selector results per (device, slot)
 * @param claimIndex the claim's position among the claims being allocated
 * @param view the request
 * @param deviceClass its device class
 * @param numDevices devices to allocate (for {@code All}: every matching device)
 * @param allDevices for {@code All}: the devices determined up front, else empty
 */
record RequestSlot(
    int slot,
    int claimIndex,
    RequestView view,
    DeviceClass deviceClass,
    int numDevices,
    List<Candidate> allDevices) {

  RequestSlot {
    allDevices = List.copyOf(allDevices);
  }

  /** A device together with the pool it was found in. */
  record Candidate(DeviceEntry device, Pool pool) {}
}
