package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.gpudra.e2e.chart.ChartManifests;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.cluster.PodBoundTokens;
import dev.gpudra.e2e.junit.ControlPlaneExtension;
import dev.gpudra.e2e.nodes.FakeNodes;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart's ValidatingAdmissionPolicy, installed for real with the plugin's ServiceAccount and
 * RBAC, enforced by the real API server on real service-account tokens: a token bound to a pod on
 * node A (which therefore carries {@code authentication.kubernetes.io/node-name: A}) may write node
 * A's slices of this driver and nothing else.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResourceSliceAdmissionPolicyIT {

  private static final String NAMESPACE = "gpudra-vap";
  private static final String OWN_NODE = "vap-node-own";
  private static final String OTHER_NODE = "vap-node-other";
  private static final String DRIVER = "gpu.gpudra.dev";
  private static final String FIELD_MANAGER = "gpudra-e2e";
  private static final Duration POLICY_ACTIVE_TIMEOUT = Duration.ofMinutes(1);

  private final ControlPlane plane;
  private final KubernetesClient admin;
  private final List<HasMetadata> installed = new ArrayList<>();
  private String serviceAccount;

  ResourceSliceAdmissionPolicyIT(ControlPlane plane) {
    this.plane = plane;
    this.admin = plane.client();
  }

  @BeforeAll
  void installPolicyAndPluginIdentity() {
    Namespaces.create(admin, NAMESPACE);
    FakeNodes.createReady(admin, OWN_NODE);
    FakeNodes.createReady(admin, OTHER_NODE);
    List<HasMetadata> rendered = ChartManifests.render(plane, NAMESPACE);
    // Only the plugin's identity, its RBAC and the policy: the workloads need a kubelet.
    for (HasMetadata object : rendered) {
      boolean plugin = object.getMetadata().getName().endsWith("-kubelet-plugin");
      boolean identity =
          plugin
              && (object instanceof ServiceAccount
                  || object instanceof ClusterRole
                  || object instanceof ClusterRoleBinding);
      boolean policy =
          object instanceof ValidatingAdmissionPolicy
              || object instanceof ValidatingAdmissionPolicyBinding;
      if (identity || policy) {
        installed.add(
            admin.resource(object).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply());
      }
      if (plugin && object instanceof ServiceAccount) {
        serviceAccount = object.getMetadata().getName();
      }
    }
    assertThat(installed).hasSize(5);
  }

  @AfterAll
  void uninstall() {
    admin
        .dynamicResourceAllocation()
        .v1()
        .resourcesSlices()
        .withLabel("gpudra.dev/e2e", "vap")
        .delete();
    for (HasMetadata object : installed.reversed()) {
      admin.resource(object).delete();
    }
    admin.namespaces().withName(NAMESPACE).delete();
    admin.nodes().withName(OWN_NODE).delete();
    admin.nodes().withName(OTHER_NODE).delete();
  }

  @Test
  void policyTypeChecksWithoutWarnings() {
    ValidatingAdmissionPolicy policy =
        await("type checking of the policy")
            .atMost(POLICY_ACTIVE_TIMEOUT)
            .until(
                () ->
                    admin
                        .admissionRegistration()
                        .v1()
                        .validatingAdmissionPolicies()
                        .withName(policyName())
                        .get(),
                p -> p.getStatus() != null && p.getStatus().getTypeChecking() != null);

    assertThat(policy.getStatus().getTypeChecking().getExpressionWarnings()).isEmpty();
  }

  @Test
  void pluginOnANodeWritesItsOwnNodesSlicesOnly() {
    try (KubernetesClient plugin = clientWithToken(tokenBoundToPodOn(OWN_NODE, "plugin-own"))) {
      // The policy is enforced once the API server has loaded it; until then the write would be
      // allowed by RBAC, so retry (removing what got through) until the denial comes.
      KubernetesClientException denied =
          await("the policy to deny a slice of another node")
              .atMost(POLICY_ACTIVE_TIMEOUT)
              .pollInterval(Duration.ofMillis(500))
              .until(
                  () -> createExpectingDenial(plugin, slice("vap-other", OTHER_NODE, DRIVER)),
                  e -> e != null);
      assertThat(denied.getMessage())
          .contains("on node " + OWN_NODE)
          .contains("may write only ResourceSlices with spec.nodeName " + OWN_NODE)
          .contains("not " + OTHER_NODE);

      ResourceSlice own = plugin.resource(slice("vap-own", OWN_NODE, DRIVER)).create();
      assertThat(own.getSpec().getNodeName()).isEqualTo(OWN_NODE);
      plugin.resource(own).edit(s -> relabel(s, "updated"));
      plugin.resource(own).delete();

      assertThatThrownBy(
              () ->
                  plugin
                      .resource(slice("vap-foreign-driver", OWN_NODE, "gpu.example.com"))
                      .create())
          .isInstanceOf(KubernetesClientException.class)
          .hasMessageContaining("may write only ResourceSlices of the driver " + DRIVER);
    }
  }

  @Test
  void pluginCannotChangeOrDeleteAnotherNodesSlices() {
    ResourceSlice foreign = admin.resource(slice("vap-by-admin", OTHER_NODE, DRIVER)).create();
    try (KubernetesClient plugin = clientWithToken(tokenBoundToPodOn(OWN_NODE, "plugin-edit"))) {
      await("the policy to deny changing a slice of another node")
          .atMost(POLICY_ACTIVE_TIMEOUT)
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () ->
                  assertThatThrownBy(
                          () ->
                              slices(plugin)
                                  .withName(foreign.getMetadata().getName())
                                  .edit(s -> relabel(s, Long.toString(System.nanoTime()))))
                      .hasMessageContaining("not " + OTHER_NODE));
      assertThatThrownBy(() -> slices(plugin).withName(foreign.getMetadata().getName()).delete())
          .hasMessageContaining("not " + OTHER_NODE);
      assertThat(admin.resource(foreign).get()).isNotNull();
    } finally {
      admin.resource(foreign).delete();
    }
  }

  @Test
  void tokenNotBoundToAPodOnANodeIsDenied() {
    String unbound = PodBoundTokens.unbound(admin, NAMESPACE, serviceAccount);
    try (KubernetesClient plugin = clientWithToken(unbound)) {
      KubernetesClientException denied =
          await("the policy to deny a token without node")
              .atMost(POLICY_ACTIVE_TIMEOUT)
              .pollInterval(Duration.ofMillis(500))
              .until(
                  () -> createExpectingDenial(plugin, slice("vap-unbound", OWN_NODE, DRIVER)),
                  e -> e != null);
      assertThat(denied.getMessage()).contains("authentication.kubernetes.io/node-name");
    }
  }

  /**
   * Creates {@code slice}; returns the denial, or null after deleting the slice when the write got
   * through (the policy not loaded yet).
   */
  private KubernetesClientException createExpectingDenial(
      KubernetesClient client, ResourceSlice slice) {
    try {
      client.resource(slice).create();
    } catch (KubernetesClientException e) {
      if (e.getMessage() != null && e.getMessage().contains("gpudra kubelet plugin")) {
        return e;
      }
      // RBAC not yet in the authorizer's cache, for instance.
      return null;
    }
    admin.resource(slice).delete();
    return null;
  }

  /** A token of the plugin's ServiceAccount bound to a pod on {@code node}. */
  private String tokenBoundToPodOn(String node, String podName) {
    return PodBoundTokens.boundToPodOn(admin, NAMESPACE, serviceAccount, node, podName);
  }

  private KubernetesClient clientWithToken(String token) {
    return PodBoundTokens.clientWithToken(admin, token);
  }

  private String policyName() {
    return installed.stream()
        .filter(ValidatingAdmissionPolicy.class::isInstance)
        .findFirst()
        .orElseThrow()
        .getMetadata()
        .getName();
  }

  private static ResourceSlice slice(String name, String node, String driver) {
    return new ResourceSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels("gpudra.dev/e2e", "vap")
        .endMetadata()
        .withNewSpec()
        .withDriver(driver)
        .withNodeName(node)
        .withNewPool()
        .withName(node)
        .withGeneration(1L)
        .withResourceSliceCount(1L)
        .endPool()
        .endSpec()
        .build();
  }

  /**
   * The slices API of {@code client}; by name, so that every edit reads the latest version (an edit
   * that got through before the policy was loaded changed it).
   */
  private static NonNamespaceOperation<ResourceSlice, ResourceSliceList, Resource<ResourceSlice>>
      slices(KubernetesClient client) {
    return client.dynamicResourceAllocation().v1().resourcesSlices();
  }

  private static ResourceSlice relabel(ResourceSlice slice, String value) {
    slice.getMetadata().getLabels().put("gpudra.dev/e2e-step", value);
    return slice;
  }
}
