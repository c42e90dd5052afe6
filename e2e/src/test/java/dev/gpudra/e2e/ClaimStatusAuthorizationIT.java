package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.gpudra.e2e.chart.ChartManifests;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.cluster.PodBoundTokens;
import dev.gpudra.e2e.junit.ControlPlaneExtension;
import dev.gpudra.e2e.nodes.FakeNodes;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NodeSelectorBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResultBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart's plugin RBAC, installed for real and enforced by the real API server's granular
 * claim-status authorization on a real pod-bound token of the plugin on node A: the plugin may
 * write {@code status.devices} entries of its own driver on claims allocated on node A, and nothing
 * else of any claim's status. A broader grant (arbitrary-node verbs, another driver,
 * resourceclaims/binding) would turn one of the denials below into a success.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClaimStatusAuthorizationIT {

  private static final String NAMESPACE = "gpudra-claim-authz";
  private static final String NODE_A = "claim-authz-node-a";
  private static final String NODE_B = "claim-authz-node-b";
  private static final String DRIVER = "gpu.gpudra.dev";
  private static final String OTHER_DRIVER = "gpu.example.com";
  private static final String DEVICE = "gpu-0";
  private static final String FIELD_MANAGER = "gpudra-e2e";
  private static final int HTTP_UNPROCESSABLE_ENTITY = 422;
  private static final Duration RBAC_LOADED_TIMEOUT = Duration.ofMinutes(1);

  private final ControlPlane plane;
  private final KubernetesClient admin;
  private final List<HasMetadata> installed = new ArrayList<>();
  private KubernetesClient pluginOnA;

  ClaimStatusAuthorizationIT(ControlPlane plane) {
    this.plane = plane;
    this.admin = plane.client();
  }

  @BeforeAll
  void installPluginIdentity() {
    Namespaces.create(admin, NAMESPACE);
    FakeNodes.createReady(admin, NODE_A);
    FakeNodes.createReady(admin, NODE_B);
    String serviceAccount = null;
    // Only the plugin's ServiceAccount and RBAC: the DaemonSet would need a kubelet.
    for (HasMetadata object : ChartManifests.render(plane, NAMESPACE)) {
      boolean plugin = object.getMetadata().getName().endsWith("-kubelet-plugin");
      if (plugin
          && (object instanceof ServiceAccount
              || object instanceof ClusterRole
              || object instanceof ClusterRoleBinding)) {
        installed.add(
            admin.resource(object).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply());
        if (object instanceof ServiceAccount) {
          serviceAccount = object.getMetadata().getName();
        }
      }
    }
    assertThat(installed).hasSize(3);
    String token =
        PodBoundTokens.boundToPodOn(admin, NAMESPACE, serviceAccount, NODE_A, "plugin-on-a");
    pluginOnA = PodBoundTokens.clientWithToken(admin, token);
  }

  @AfterAll
  void uninstall() {
    if (pluginOnA != null) {
      pluginOnA.close();
    }
    for (HasMetadata object : installed.reversed()) {
      admin.resource(object).delete();
    }
    admin.namespaces().withName(NAMESPACE).delete();
    admin.nodes().withName(NODE_A).delete();
    admin.nodes().withName(NODE_B).delete();
  }

  @Test
  void pluginWritesDeviceStatusOfClaimsAllocatedOnItsNode() {
    ResourceClaim claim = allocatedClaim("on-a", NODE_A);

    // Until the authorizer has loaded the new ClusterRoleBinding every write is denied: retry.
    ResourceClaim written =
        await("the plugin's RBAC to be loaded")
            .atMost(RBAC_LOADED_TIMEOUT)
            .pollInterval(Duration.ofMillis(500))
            .ignoreException(KubernetesClientException.class)
            .until(() -> patchStatus(pluginOnA, claim, deviceStatus(DRIVER, NODE_A)), c -> true);

    assertThat(written.getStatus().getDevices())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.getDriver()).isEqualTo(DRIVER);
              assertThat(d.getPool()).isEqualTo(NODE_A);
              assertThat(d.getDevice()).isEqualTo(DEVICE);
              assertThat(d.getConditions()).singleElement().extracting("type").isEqualTo("Ready");
            });
  }

  @Test
  void pluginCannotWriteDeviceStatusOfClaimsAllocatedOnAnotherNode() {
    awaitRbacLoaded();
    ResourceClaim claim = allocatedClaim("on-b", NODE_B);

    KubernetesClientException denied =
        denial(() -> patchStatus(pluginOnA, claim, deviceStatus(DRIVER, NODE_B)));

    // Not the plugin's node, so the API server does not even try associated-node: here.
    assertForbidden(
        denied,
        "status.devices",
        "requires resource=\"resourceclaims/driver\", verb=\"[arbitrary-node:patch]\"");
    assertThat(admin.resource(claim).get().getStatus().getDevices()).isEmpty();
  }

  @Test
  void pluginCannotWriteDeviceStatusOfAnotherDriverOnItsNode() {
    awaitRbacLoaded();
    ResourceClaim claim = allocatedClaim("other-driver", NODE_A);

    KubernetesClientException denied =
        denial(() -> patchStatus(pluginOnA, claim, deviceStatus(OTHER_DRIVER, NODE_A)));

    assertForbidden(
        denied,
        "status.devices",
        "requires resource=\"resourceclaims/driver\", verb=\"[associated-node:patch"
            + " arbitrary-node:patch]\" permission: resourceclaims.resource.k8s.io \""
            + OTHER_DRIVER
            + "\" is forbidden");
    assertThat(admin.resource(claim).get().getStatus().getDevices()).isEmpty();
  }

  @Test
  void pluginCannotReserveAClaimAllocatedOnItsNode() {
    awaitRbacLoaded();
    ResourceClaim claim = allocatedClaim("reserve", NODE_A);
    String reservedFor =
        """
        {"status":{"reservedFor":[{"resource":"pods","name":"intruder",\
        "uid":"00000000-0000-0000-0000-000000000001"}]}}""";

    KubernetesClientException denied = denial(() -> patchStatus(pluginOnA, claim, reservedFor));

    // The API server reports both binding fields under status.allocation.
    assertForbidden(
        denied,
        "status.allocation",
        "requires resource=\"resourceclaims/binding\", verb=\"patch\"");
    assertThat(admin.resource(claim).get().getStatus().getReservedFor()).isEmpty();
  }

  @Test
  void pluginCannotAllocateAClaimToItsNode() {
    awaitRbacLoaded();
    ResourceClaim claim = unallocatedClaim("allocate");
    String allocation =
        "{\"status\":{\"allocation\":"
            + admin.getKubernetesSerialization().asJson(allocation(NODE_A))
            + "}}";

    KubernetesClientException denied = denial(() -> patchStatus(pluginOnA, claim, allocation));

    assertForbidden(
        denied,
        "status.allocation",
        "requires resource=\"resourceclaims/binding\", verb=\"patch\"");
    assertThat(admin.resource(claim).get().getStatus())
        .satisfiesAnyOf(s -> assertThat(s).isNull(), s -> assertThat(s.getAllocation()).isNull());
  }

  /**
   * Waits until the plugin's own-node write goes through, so that the denials below are the rules'
   * doing, not a binding the authorizer has not seen yet.
   */
  private void awaitRbacLoaded() {
    ResourceClaim probe = allocatedClaim("probe-" + System.nanoTime(), NODE_A);
    await("the plugin's RBAC to be loaded")
        .atMost(RBAC_LOADED_TIMEOUT)
        .pollInterval(Duration.ofMillis(500))
        .ignoreException(KubernetesClientException.class)
        .until(() -> patchStatus(pluginOnA, probe, deviceStatus(DRIVER, NODE_A)), c -> true);
  }

  private static KubernetesClientException denial(Runnable write) {
    KubernetesClientException denied =
        catchThrowableOfType(KubernetesClientException.class, write::run);
    assertThat(denied).as("the API server's answer to a write it must refuse").isNotNull();
    return denied;
  }

  /**
   * The API server refuses a status field it does not authorize as an invalid update (HTTP 422,
   * reason Invalid) whose single cause is a {@code FieldValueForbidden} on {@code field}, naming
   * the permission that was missing; it does not answer 403 for these field-level checks.
   */
  private static void assertForbidden(
      KubernetesClientException denied, String field, String missingPermission) {
    assertThat(denied.getCode()).as(denied.getMessage()).isEqualTo(HTTP_UNPROCESSABLE_ENTITY);
    assertThat(denied.getStatus().getReason()).isEqualTo("Invalid");
    assertThat(denied.getStatus().getDetails().getCauses())
        .singleElement()
        .satisfies(
            cause -> {
              assertThat(cause.getField()).isEqualTo(field);
              assertThat(cause.getReason()).isEqualTo("FieldValueForbidden");
              assertThat(cause.getMessage()).contains(missingPermission);
            });
  }

  private static ResourceClaim patchStatus(
      KubernetesClient client, ResourceClaim claim, String mergePatch) {
    return client
        .dynamicResourceAllocation()
        .v1()
        .resourceClaims()
        .inNamespace(NAMESPACE)
        .withName(claim.getMetadata().getName())
        .subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), mergePatch);
  }

  /** A status.devices entry for {@code driver}'s device {@code gpu-0} in pool {@code pool}. */
  private static String deviceStatus(String driver, String pool) {
    return """
        {"status":{"devices":[{"driver":"%s","pool":"%s","device":"%s","conditions":[\
        {"type":"Ready","status":"True","reason":"Prepared","message":"prepared by the plugin",\
        "lastTransitionTime":"2026-01-01T00:00:00Z"}]}]}}"""
        .formatted(driver, pool, DEVICE);
  }

  /**
   * A claim allocated by the admin (standing in for the scheduler) on {@code node}: one device of
   * this driver and one of another driver, both in pool {@code node}, so that a status entry of
   * either names an allocated device and only authorization can refuse it.
   */
  private ResourceClaim allocatedClaim(String name, String node) {
    ResourceClaim claim = unallocatedClaim(name);
    return admin
        .resource(
            new ResourceClaimBuilder(claim)
                .withStatus(
                    new ResourceClaimStatusBuilder().withAllocation(allocation(node)).build())
                .build())
        .updateStatus();
  }

  private ResourceClaim unallocatedClaim(String name) {
    return admin
        .resource(
            new ResourceClaimBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NAMESPACE)
                .endMetadata()
                .withNewSpec()
                .withNewDevices()
                .addNewRequest()
                .withName("gpu")
                .withNewExactly()
                .withDeviceClassName(DRIVER)
                .endExactly()
                .endRequest()
                .addNewRequest()
                .withName("other")
                .withNewExactly()
                .withDeviceClassName(OTHER_DRIVER)
                .endExactly()
                .endRequest()
                .endDevices()
                .endSpec()
                .build())
        .create();
  }

  private static AllocationResult allocation(String node) {
    return new AllocationResultBuilder()
        .withNewDevices()
        .addNewResult()
        .withRequest("gpu")
        .withDriver(DRIVER)
        .withPool(node)
        .withDevice(DEVICE)
        .endResult()
        .addNewResult()
        .withRequest("other")
        .withDriver(OTHER_DRIVER)
        .withPool(node)
        .withDevice(DEVICE)
        .endResult()
        .endDevices()
        .withNodeSelector(
            new NodeSelectorBuilder()
                .addNewNodeSelectorTerm()
                .addNewMatchField()
                .withKey("metadata.name")
                .withOperator("In")
                .withValues(node)
                .endMatchField()
                .endNodeSelectorTerm()
                .build())
        .build();
  }
}
