package dev.gpudra.e2e.nodes;

import io.fabric8.kubernetes.api.model.resource.v1.ExactDeviceRequestBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import java.util.Optional;

/**
 * ResourceClaims that scenarios create in code (the examples' own come from {@code examples/}): one
 * request for an exact number of devices of a DeviceClass, optionally narrowed by a CEL selector.
 */
public final class TestClaims {

  private TestClaims() {}

  /**
   * Claim {@code name} whose request {@code request} asks for {@code count} devices of {@code
   * deviceClass} that satisfy {@code cel} (every device of the class when empty).
   */
  public static ResourceClaim exactly(
      String name, String request, String deviceClass, Optional<String> cel, long count) {
    var exactly =
        new ExactDeviceRequestBuilder()
            .withDeviceClassName(deviceClass)
            .withAllocationMode("ExactCount")
            .withCount(count);
    cel.ifPresent(
        expression ->
            exactly
                .addNewSelector()
                .withNewCel()
                .withExpression(expression)
                .endCel()
                .endSelector());
    return new ResourceClaimBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withNewDevices()
        .addNewRequest()
        .withName(request)
        .withExactly(exactly.build())
        .endRequest()
        .endDevices()
        .endSpec()
        .build();
  }
}
