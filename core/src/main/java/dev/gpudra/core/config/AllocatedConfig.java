package dev.gpudra.core.config;

import java.util.List;
import java.util.Objects;

/**
 * One entry of a claim's {@code status.allocation.devices.config}, as the allocator copied it from
 * the DeviceClass or the claim.
 *
 * @param source class or claim
 * @param requests request names it applies to ({@code req} covers its sub-requests {@code
 *     req/sub}); empty for all requests
 * @param driver {@code opaque.driver}
 * @param parametersJson {@code opaque.parameters} as JSON
 */
public record AllocatedConfig(
    ConfigSource source, List<String> requests, String driver, String parametersJson) {

  /** Copies the request list; requires the rest. */
  public AllocatedConfig {
    Objects.requireNonNull(source, "source");
    requests = requests == null ? List.of() : List.copyOf(requests);
    Objects.requireNonNull(driver, "driver");
    Objects.requireNonNull(parametersJson, "parametersJson");
  }

  /** Whether this entry covers the allocation result of {@code resultRequest}. */
  public boolean appliesTo(String resultRequest) {
    return requests.isEmpty()
        || requests.stream()
            .anyMatch(r -> r.equals(resultRequest) || resultRequest.startsWith(r + "/"));
  }
}
