package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.resource.v1.CapacityRequirements;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSelector;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSubRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceToleration;
import io.fabric8.kubernetes.api.model.resource.v1.ExactDeviceRequest;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One request with {@code exactly}, or one sub-request of {@code firstAvailable}, seen the same
 * way.
 *
 * @param name the request's or sub-request's own name
 * @param parentName for a sub-request the name of its request, else null
 * @param className the device class
 * @param selectors request selectors (class selectors come from the class)
 * @param allocationMode {@code ExactCount} or {@code All}; anything else is rejected
 * @param count devices wanted in {@code ExactCount} mode
 * @param adminAccess admin access was asked for and granted
 * @param tolerations device taints tolerated
 * @param capacity capacity requested per device, or null
 * @param requestedCapacity the same requests, parsed
 */
record RequestView(
    String name,
    String parentName,
    String className,
    List<DeviceSelector> selectors,
    String allocationMode,
    long count,
    boolean adminAccess,
    List<DeviceToleration> tolerations,
    CapacityRequirements capacity,
    Map<String, BigDecimal> requestedCapacity) {

  static final String EXACT_COUNT = "ExactCount";
  static final String ALL = "All";

  /** A request that asks for no capacity, for checks that concern the device alone. */
  static final RequestView NO_CAPACITY =
      new RequestView("", null, "", List.of(), EXACT_COUNT, 1, false, List.of(), null, Map.of());

  RequestView {
    Objects.requireNonNull(name, "name");
    selectors = NodeMatcher.nullToEmpty(selectors);
    tolerations = NodeMatcher.nullToEmpty(tolerations);
    requestedCapacity = Map.copyOf(requestedCapacity);
  }

  private static Map<String, BigDecimal> parse(CapacityRequirements capacity) {
    if (capacity == null || capacity.getRequests() == null) {
      return Map.of();
    }
    Map<String, BigDecimal> out = new HashMap<>();
    capacity.getRequests().forEach((k, v) -> out.put(k, CapacityCheck.value(v)));
    return out;
  }

  static RequestView of(DeviceRequest request) {
    ExactDeviceRequest e = request.getExactly();
    return new RequestView(
        request.getName(),
        null,
        e.getDeviceClassName(),
        e.getSelectors(),
        e.getAllocationMode(),
        e.getCount() == null ? 0 : e.getCount(),
        Boolean.TRUE.equals(e.getAdminAccess()),
        e.getTolerations(),
        e.getCapacity(),
        parse(e.getCapacity()));
  }

  static RequestView of(DeviceRequest parent, DeviceSubRequest sub) {
    return new RequestView(
        sub.getName(),
        parent.getName(),
        sub.getDeviceClassName(),
        sub.getSelectors(),
        sub.getAllocationMode(),
        sub.getCount() == null ? 0 : sub.getCount(),
        false,
        sub.getTolerations(),
        sub.getCapacity(),
        parse(sub.getCapacity()));
  }

  /** The name used in results, configs and constraints: {@code request} or {@code request/sub}. */
  String fullName() {
    return parentName == null ? name : parentName + "/" + name;
  }

  /** The name of the claim's request this belongs to. */
  String baseName() {
    return parentName == null ? name : parentName;
  }

  /** The sub-request's own name, or null. */
  String subName() {
    return parentName == null ? null : name;
  }

  boolean wantsAll() {
    return ALL.equals(allocationMode);
  }

  boolean hasCapacityRequests() {
    return capacity != null && capacity.getRequests() != null && !capacity.getRequests().isEmpty();
  }
}
