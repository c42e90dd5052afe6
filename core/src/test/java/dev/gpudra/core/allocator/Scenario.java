package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.List;

/**
 * One allocation problem, in the shape the allocator oracle reads: the node, the cluster's slices
 * and classes, claims already holding devices, and the claims to allocate together.
 */
record Scenario(
    String id,
    Node node,
    List<ResourceSlice> slices,
    List<DeviceClass> classes,
    List<ResourceClaim> allocatedClaims,
    List<ResourceClaim> claims) {

  Scenario {
    slices = List.copyOf(slices);
    classes = List.copyOf(classes);
    allocatedClaims = List.copyOf(allocatedClaims);
    claims = List.copyOf(claims);
  }
}
