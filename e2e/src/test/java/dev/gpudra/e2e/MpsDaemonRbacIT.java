package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.e2e.chart.ChartManifests;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.cluster.Poll;
import dev.gpudra.e2e.junit.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The access the chart gives the kubelet plugin for MPS daemon pods ({@code
 * kubeletPlugin.mpsDaemon=pod}, the default): with MPS or fractional GPUs on, a Role in the
 * release's namespace lets the plugin's ServiceAccount create, list and delete pods there, the
 * verbs {@code PodMpsControl} uses and no others, and nowhere else; with MPS off, or daemons as
 * processes, there is no such Role. Checked by the real API server's authorizer (a
 * SubjectAccessReview per verb, as {@code kubectl auth can-i --as} asks).
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MpsDaemonRbacIT {

  private static final String NAMESPACE = "gpudra-mps-rbac";
  private static final String OTHER = "gpudra-mps-rbac-other";
  private static final String FIELD_MANAGER = "gpudra-e2e-mps-rbac";

  private final ControlPlane plane;
  private final KubernetesClient admin;
  private final List<HasMetadata> installed = new ArrayList<>();

  MpsDaemonRbacIT(ControlPlane plane) {
    this.plane = plane;
    this.admin = plane.client();
  }

  @AfterAll
  void uninstall() {
    for (HasMetadata object : installed.reversed()) {
      admin.resource(object).delete();
    }
    admin.namespaces().withName(NAMESPACE).delete();
    admin.namespaces().withName(OTHER).delete();
  }

  @Test
  void onlyMpsOnNodesGrantThePluginPodVerbsInItsOwnNamespace() {
    assertThat(mpsRoles(ChartManifests.render(plane, NAMESPACE))).as("MPS off").isEmpty();
    assertThat(
            mpsRoles(
                ChartManifests.render(
                    plane,
                    NAMESPACE,
                    "kubeletPlugin.fractionalGpus=true",
                    "kubeletPlugin.mpsDaemon=process")))
        .as("daemons as processes")
        .isEmpty();

    Namespaces.create(admin, NAMESPACE);
    Namespaces.create(admin, OTHER);
    String serviceAccount = null;
    for (HasMetadata object :
        ChartManifests.render(
            plane, NAMESPACE, "kubeletPlugin.sharingStrategies={Exclusive,MPS}")) {
      boolean plugin = object.getMetadata().getName().contains("-kubelet-plugin");
      if (plugin
          && (object instanceof ServiceAccount
              || object instanceof Role
              || object instanceof RoleBinding)) {
        installed.add(
            admin.resource(object).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply());
        if (object instanceof ServiceAccount) {
          serviceAccount = object.getMetadata().getName();
        }
      }
    }
    assertThat(installed)
        .extracting(HasMetadata::getKind)
        .containsExactlyInAnyOrder("ServiceAccount", "Role", "RoleBinding");
    String user = "system:serviceaccount:" + NAMESPACE + ":" + serviceAccount;

    // The authorizer may lag behind the new RoleBinding: wait for the first grant.
    Poll.until(
        "the plugin may create pods in " + NAMESPACE,
        Duration.ofSeconds(30),
        Duration.ofMillis(200),
        () -> allowed(user, NAMESPACE, "create"),
        a -> a);
    for (String verb : List.of("create", "list", "delete")) {
      assertThat(allowed(user, NAMESPACE, verb)).as(verb + " pods in " + NAMESPACE).isTrue();
      assertThat(allowed(user, OTHER, verb)).as(verb + " pods in " + OTHER).isFalse();
    }
    for (String verb : List.of("update", "patch", "deletecollection", "watch")) {
      assertThat(allowed(user, NAMESPACE, verb)).as(verb + " pods in " + NAMESPACE).isFalse();
    }
  }

  private static List<Role> mpsRoles(List<HasMetadata> rendered) {
    return ChartManifests.ofType(rendered, Role.class).stream()
        .filter(r -> r.getMetadata().getName().endsWith("-kubelet-plugin-mps"))
        .toList();
  }

  private boolean allowed(String user, String namespace, String verb) {
    SubjectAccessReview review =
        admin
            .authorization()
            .v1()
            .subjectAccessReview()
            .create(
                new SubjectAccessReviewBuilder()
                    .withNewSpec()
                    .withUser(user)
                    .withGroups("system:serviceaccounts", "system:authenticated")
                    .withNewResourceAttributes()
                    .withNamespace(namespace)
                    .withVerb(verb)
                    .withResource("pods")
                    .endResourceAttributes()
                    .endSpec()
                    .build());
    return Boolean.TRUE.equals(review.getStatus().getAllowed());
  }
}
