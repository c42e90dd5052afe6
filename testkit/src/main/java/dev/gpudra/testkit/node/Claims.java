package dev.gpudra.testkit.node;

import dev.gpudra.core.names.DriverNames;
import dev.gpudra.testkit.kubelet.PodClaim;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAllocationConfiguration;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAllocationConfigurationBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResultBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** ResourceClaims as the scheduler leaves them: allocated, reserved for a pod. */
public final class Claims {

  /** Our driver. */
  public static final String DRIVER = DriverNames.DRIVER;

  private final KubernetesClient client;
  private final String namespace;

  /**
   * @param client the API server holding the claims
   * @param namespace where the claims live
   */
  public Claims(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /** One allocated device. */
  public static DeviceRequestAllocationResult result(
      String request, String pool, String device, boolean adminAccess) {
    return new DeviceRequestAllocationResultBuilder()
        .withRequest(request)
        .withDriver(DRIVER)
        .withPool(pool)
        .withDevice(device)
        .withAdminAccess(adminAccess ? Boolean.TRUE : null)
        .build();
  }

  /** An opaque config entry for our driver with {@code parametersJson}. */
  public static DeviceAllocationConfiguration config(
      String source, List<String> requests, String parametersJson) {
    return new DeviceAllocationConfigurationBuilder()
        .withSource(source)
        .withRequests(requests)
        .withNewOpaque()
        .withDriver(DRIVER)
        .withParameters(Serialization.unmarshal(parametersJson, Map.class))
        .endOpaque()
        .build();
  }

  /** Creates an allocated, reserved claim {@code name} and returns how the kubelet names it. */
  public PodClaim allocated(
      String name,
      List<DeviceRequestAllocationResult> results,
      List<DeviceAllocationConfiguration> configs) {
    ResourceClaim claim =
        new ResourceClaimBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withUid(UUID.randomUUID().toString())
            .endMetadata()
            .withNewSpec()
            .withNewDevices()
            .addNewRequest()
            .withName("gpu")
            .withNewExactly()
            .withDeviceClassName(DRIVER)
            .endExactly()
            .endRequest()
            .endDevices()
            .endSpec()
            .withNewStatus()
            .withNewAllocation()
            .withNewDevices()
            .withResults(new ArrayList<>(results))
            .withConfig(new ArrayList<>(configs))
            .endDevices()
            .endAllocation()
            .addNewReservedFor()
            .withResource("pods")
            .withName(name + "-pod")
            .withUid(UUID.randomUUID().toString())
            .endReservedFor()
            .endStatus()
            .build();
    return create(claim);
  }

  /** Creates a claim that nobody allocated. */
  public PodClaim unallocated(String name) {
    ResourceClaim claim =
        new ResourceClaimBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withUid(UUID.randomUUID().toString())
            .endMetadata()
            .withNewSpec()
            .endSpec()
            .build();
    return create(claim);
  }

  private PodClaim create(ResourceClaim claim) {
    ResourceClaim created = client.resource(claim).create();
    if (claim.getStatus() != null && created.getStatus() == null) {
      created.setStatus(claim.getStatus());
      created = client.resource(created).updateStatus();
    }
    return new PodClaim(namespace, created.getMetadata().getUid(), created.getMetadata().getName());
  }

  /** Deletes claim {@code name}, as happens when its pod is gone. */
  public void delete(String name) {
    client.resources(ResourceClaim.class).inNamespace(namespace).withName(name).delete();
  }
}
