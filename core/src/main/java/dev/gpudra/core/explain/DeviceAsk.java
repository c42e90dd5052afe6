package dev.gpudra.core.explain;

import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSelector;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSubRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceToleration;
import io.fabric8.kubernetes.api.model.resource.v1.ExactDeviceRequest;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One request ({@code exactly}) or sub-request ({@code firstAvailable}) of a claim, as diagnosis
 * reads it.
 *
 * @param name {@code request} or {@code request/sub}
 * @param className its DeviceClass
 * @param selectors its own selectors (the class's come from the class)
 * @param all whether it asks for all matching devices
 * @param count devices asked for when not {@code all}
 * @param adminAccess whether it asks for admin access (which ignores other claims' holds)
 * @param tolerations device taints it tolerates
 * @param capacity consumable capacity it asks of each device, by name
 */
record DeviceAsk(
    String name,
    String className,
    List<DeviceSelector> selectors,
    boolean all,
    long count,
    boolean adminAccess,
    List<DeviceToleration> tolerations,
    Map<String, BigDecimal> capacity) {

  DeviceAsk {
    Objects.requireNonNull(name, "name");
    selectors = selectors == null ? List.of() : List.copyOf(selectors);
    tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
    capacity = Map.copyOf(capacity);
  }

  /** Devices needed on a node with {@code matching} matching devices. */
  long needed(long matching) {
    return all ? Math.max(1, matching) : count;
  }

  /** The alternatives of one request: one for {@code exactly}, one per sub-request otherwise. */
  static List<DeviceAsk> of(DeviceRequest request) {
    ExactDeviceRequest e = request.getExactly();
    if (e != null) {
      return List.of(
          new DeviceAsk(
              request.getName(),
              e.getDeviceClassName(),
              e.getSelectors(),
              "All".equals(e.getAllocationMode()),
              e.getCount() == null ? 1 : e.getCount(),
              Boolean.TRUE.equals(e.getAdminAccess()),
              e.getTolerations(),
              capacity(e.getCapacity() == null ? null : e.getCapacity().getRequests())));
    }
    List<DeviceAsk> out = new ArrayList<>();
    for (DeviceSubRequest sub : ClusterDevices.nullToEmpty(request.getFirstAvailable())) {
      out.add(
          new DeviceAsk(
              request.getName() + "/" + sub.getName(),
              sub.getDeviceClassName(),
              sub.getSelectors(),
              "All".equals(sub.getAllocationMode()),
              sub.getCount() == null ? 1 : sub.getCount(),
              false,
              sub.getTolerations(),
              capacity(sub.getCapacity() == null ? null : sub.getCapacity().getRequests())));
    }
    return out;
  }

  private static Map<String, BigDecimal> capacity(
      Map<String, io.fabric8.kubernetes.api.model.Quantity> requests) {
    Map<String, BigDecimal> out = new HashMap<>();
    if (requests != null) {
      requests.forEach((k, v) -> out.put(k, ClusterDevices.amount(v)));
    }
    return out;
  }
}
