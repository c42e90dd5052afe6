package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.gpudra.e2e.chart.ChartManifests;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.cluster.PodBoundTokens;
import dev.gpudra.e2e.junit.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRule;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The controller's RBAC as the real API server grants it (a {@code SelfSubjectRulesReview} made
 * with the chart's controller ServiceAccount, the {@code kubectl auth can-i --list} of that
 * identity), held against the code that needs it: every (API group, resource, verb) the chart
 * grants must appear in {@link #NEEDED} with the controller class whose call issues it, and that
 * class must make the call. A verb nobody uses, or a use the chart forgot, fails here.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControllerRbacIT {

  private static final String NAMESPACE = "gpudra-controller-rbac";
  private static final String BASELINE_ACCOUNT = "no-bindings";
  private static final String FIELD_MANAGER = "gpudra-e2e";
  private static final String CONTROLLER = "dev.gpudra.controller.";

  /** Who needs a grant: the class, and the fabric8 call in it that sends the request. */
  private record Use(String className, String call) {}

  private static final Use INFORMERS = new Use(CONTROLLER + "view.ClusterView", "runnableInformer");
  private static final Use EVENT_READ = new Use(CONTROLLER + "explain.ClaimEventWriter", "get");
  private static final Use EVENT_CREATE =
      new Use(CONTROLLER + "explain.ClaimEventWriter", "create");
  // fabric8's edit() sends a JSON patch: a repeated explanation raises its Event's count.
  private static final Use EVENT_PATCH = new Use(CONTROLLER + "explain.ClaimEventWriter", "edit");
  // The elector's LeaseLock reads the Lease, creates it when absent, and replaces or patches it to
  // renew and release it.
  private static final Use LEASE = new Use(CONTROLLER + "leader.LeaderElection", "leaderElector");
  // Pre-bound pods (chart default prebound.allocation: true): the allocator adds its finalizer to
  // a claim (update), writes allocation and reservation (status update, which the API server also
  // checks against resourceclaims/binding) and annotates the pod so its kubelet retries (patch).
  private static final String WRITER = CONTROLLER + "prebound.AllocationWriter";
  private static final Use CLAIM_FINALIZER = new Use(WRITER, "update");
  private static final Use CLAIM_STATUS = new Use(WRITER, "updateStatus");
  private static final Use POD_NUDGE = new Use(WRITER, "patch");

  /** Every grant the controller needs, "group/resource:verb" (core group empty), and its user. */
  private static final Map<String, Use> NEEDED =
      Map.ofEntries(
          Map.entry("resource.k8s.io/resourceslices:list", INFORMERS),
          Map.entry("resource.k8s.io/resourceslices:watch", INFORMERS),
          Map.entry("resource.k8s.io/resourceclaims:list", INFORMERS),
          Map.entry("resource.k8s.io/resourceclaims:watch", INFORMERS),
          Map.entry("resource.k8s.io/deviceclasses:list", INFORMERS),
          Map.entry("resource.k8s.io/deviceclasses:watch", INFORMERS),
          Map.entry("/pods:list", INFORMERS),
          Map.entry("/pods:watch", INFORMERS),
          Map.entry("/nodes:list", INFORMERS),
          Map.entry("/nodes:watch", INFORMERS),
          Map.entry("/events:get", EVENT_READ),
          Map.entry("/events:create", EVENT_CREATE),
          Map.entry("/events:patch", EVENT_PATCH),
          Map.entry("coordination.k8s.io/leases:get", LEASE),
          Map.entry("coordination.k8s.io/leases:create", LEASE),
          Map.entry("coordination.k8s.io/leases:update", LEASE),
          Map.entry("coordination.k8s.io/leases:patch", LEASE),
          Map.entry("resource.k8s.io/resourceclaims:update", CLAIM_FINALIZER),
          Map.entry("resource.k8s.io/resourceclaims/status:update", CLAIM_STATUS),
          Map.entry("resource.k8s.io/resourceclaims/binding:update", CLAIM_STATUS),
          Map.entry("/pods:patch", POD_NUDGE));

  private final ControlPlane plane;
  private final KubernetesClient admin;
  private final List<HasMetadata> installed = new ArrayList<>();
  private String controllerAccount;

  ControllerRbacIT(ControlPlane plane) {
    this.plane = plane;
    this.admin = plane.client();
  }

  @BeforeAll
  void installControllerIdentity() {
    Namespaces.create(admin, NAMESPACE);
    // Only the controller's ServiceAccount and RBAC: the Deployment itself is not needed.
    for (HasMetadata object : ChartManifests.render(plane, NAMESPACE)) {
      boolean controller = object.getMetadata().getName().endsWith("-controller");
      if (controller
          && (object instanceof ServiceAccount
              || object instanceof ClusterRole
              || object instanceof ClusterRoleBinding
              || object instanceof Role
              || object instanceof RoleBinding)) {
        installed.add(
            admin.resource(object).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply());
        if (object instanceof ServiceAccount) {
          controllerAccount = object.getMetadata().getName();
        }
      }
    }
    assertThat(installed).hasSize(5);
    admin
        .serviceAccounts()
        .inNamespace(NAMESPACE)
        .resource(
            new ServiceAccountBuilder()
                .withNewMetadata()
                .withName(BASELINE_ACCOUNT)
                .endMetadata()
                .build())
        .create();
  }

  @AfterAll
  void uninstall() {
    for (HasMetadata object : installed.reversed()) {
      admin.resource(object).delete();
    }
    admin.namespaces().withName(NAMESPACE).delete();
  }

  @Test
  void everyGrantOfTheControllerIsOneTheCodeNeeds() {
    // The authorizer may not have loaded the new bindings yet: wait until the list settles on a
    // superset of the baseline that includes the Lease rule from the namespaced Role.
    Set<String> baseline = grants(BASELINE_ACCOUNT);
    Set<String> granted =
        await("the controller's RBAC to be loaded")
            .atMost(Duration.ofMinutes(1))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> withoutBaseline(grants(controllerAccount), baseline),
                g -> g.containsAll(NEEDED.keySet()));

    assertThat(granted).as("grants the chart gives the controller").isEqualTo(NEEDED.keySet());
  }

  @Test
  void everyNeededGrantIsUsedByTheClassNamedForIt() {
    JavaClasses controller =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.gpudra.controller");
    NEEDED.forEach(
        (grant, use) -> {
          JavaClass user = controller.get(use.className());
          Set<String> calls =
              user.getMethodCallsFromSelf().stream()
                  .map(call -> call.getTarget().getName())
                  .collect(Collectors.toSet());
          assertThat(calls).as("%s calls for %s", use.className(), grant).contains(use.call());
        });
  }

  /** What {@code account} may do in {@link #NAMESPACE}, as "group/resource:verb". */
  private Set<String> grants(String account) {
    String token = PodBoundTokens.unbound(admin, NAMESPACE, account);
    try (KubernetesClient client = PodBoundTokens.clientWithToken(admin, token)) {
      SelfSubjectRulesReview review =
          client
              .authorization()
              .v1()
              .selfSubjectRulesReview()
              .create(
                  new SelfSubjectRulesReviewBuilder()
                      .withNewSpec()
                      .withNamespace(NAMESPACE)
                      .endSpec()
                      .build());
      Set<String> grants = new TreeSet<>();
      for (ResourceRule rule : review.getStatus().getResourceRules()) {
        for (String group : rule.getApiGroups()) {
          for (String resource : rule.getResources()) {
            for (String verb : rule.getVerbs()) {
              grants.add(group + "/" + resource + ":" + verb);
            }
          }
        }
      }
      return grants;
    }
  }

  private static Set<String> withoutBaseline(Set<String> grants, Set<String> baseline) {
    Set<String> own = new TreeSet<>(grants);
    own.removeAll(baseline);
    return own;
  }
}
