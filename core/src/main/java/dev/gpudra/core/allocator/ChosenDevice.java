package dev.gpudra.core.allocator;

import java.math.BigDecimal;
import java.util.Map;

/**
 * A device tentatively chosen for a request during the search.
 *
 * @param request the request or sub-request it serves
 * @param device the device
 * @param consumedCapacity for a device that allows multiple allocations: what this share takes;
 *     null otherwise
 */
record ChosenDevice(
    RequestView request, DeviceEntry device, Map<String, BigDecimal> consumedCapacity) {}
