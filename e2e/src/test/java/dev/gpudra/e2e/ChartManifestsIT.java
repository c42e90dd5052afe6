package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.e2e.chart.ChartManifests;
import dev.gpudra.e2e.chart.Helm;
import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.junit.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole chart (workloads, RBAC, admission policy, DeviceClasses) with the real Helm and the
 * real API server: it lints, renders, and every object passes the API server's validation and
 * admission in a server-side dry run, for the value sets users start from.
 */
@ExtendWith(ControlPlaneExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChartManifestsIT {

  private static final String NAMESPACE = "gpudra-chart-dry-run";
  private static final String FIELD_MANAGER = "gpudra-e2e-dry-run";

  /** Value sets users install with, as {@code --set} arguments. */
  static Stream<Named<List<String>>> variants() {
    return Stream.of(
        Named.of("defaults", List.of()),
        Named.of("fake GPUs", List.of("fakeGpu.enabled=true")),
        Named.of(
            "extended resource nvidia.com/gpu",
            List.of("deviceClasses.gpu.extendedResourceName=nvidia.com/gpu")));
  }

  private final ControlPlane plane;
  private final KubernetesClient client;
  private final Helm helm;

  ChartManifestsIT(ControlPlane plane) {
    this.plane = plane;
    this.client = plane.client();
    this.helm = new Helm(plane);
  }

  @BeforeAll
  void createNamespace() {
    Namespaces.create(client, NAMESPACE);
  }

  @ParameterizedTest
  @MethodSource("variants")
  void lintPassesWithAndWithoutStrict(List<String> setValues) {
    String[] variant = setValues.toArray(String[]::new);
    Command lenient = helm.lenientLint(variant);
    Command strict = helm.lint(variant);

    assertThat(lenient.exitCode()).as(lenient.stdout() + lenient.stderr()).isZero();
    assertThat(strict.exitCode()).as(strict.stdout() + strict.stderr()).isZero();
    assertThat(strict.stdout()).contains("1 chart(s) linted, 0 chart(s) failed");
  }

  @ParameterizedTest
  @MethodSource("variants")
  void everyRenderedObjectPassesServerSideDryRun(List<String> setValues) {
    String[] variant = setValues.toArray(String[]::new);
    List<HasMetadata> rendered = ChartManifests.render(plane, NAMESPACE, variant);

    assertThat(rendered)
        .extracting(HasMetadata::getKind)
        .containsExactlyInAnyOrder(
            "ServiceAccount",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRole",
            "ClusterRoleBinding",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Service",
            "DaemonSet",
            "Deployment",
            "DeviceClass",
            "DeviceClass",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding");
    for (HasMetadata object : rendered) {
      // dryRun=All: validation, defaulting and admission run, nothing is stored. Server-side
      // apply rather than create, since the DeviceClasses exist already (other scenarios).
      HasMetadata accepted =
          client
              .resource(object)
              .dryRun()
              .fieldManager(FIELD_MANAGER)
              .forceConflicts()
              .serverSideApply();
      assertThat(accepted.getMetadata().getName())
          .as(object.getKind())
          .isEqualTo(object.getMetadata().getName());
    }
    assertThat(client.apps().daemonSets().inNamespace(NAMESPACE).list().getItems())
        .as("a dry run stores nothing")
        .isEmpty();
  }

  @Test
  void kubeletPluginEnvironmentIsExactlyThePluginsConfigurationKeys() {
    Container plugin = pluginContainer(ChartManifests.render(plane, NAMESPACE));

    assertThat(env(plugin))
        .containsOnlyKeys(
            "NODE_NAME",
            "POD_UID",
            "KUBELET_PLUGIN_DIRECTORY_PATH",
            "KUBELET_REGISTRAR_DIRECTORY_PATH",
            "GPUDRA_CDI_DIR",
            "GPUDRA_DRIVER_ROOT",
            "GPUDRA_HOST_DRIVER_ROOT",
            "GPUDRA_DEV_ROOT",
            "GPUDRA_PROC_ROOT",
            "GPUDRA_SYSFS_ROOT",
            "GPUDRA_CHECKPOINT_DIR",
            "GPUDRA_BOOT_ID_PATH",
            "GPUDRA_METRICS_PORT",
            "GPUDRA_DYNAMIC_MIG",
            "GPUDRA_SHARING_STRATEGIES",
            "GPUDRA_CDI_HOOK_PATH",
            "GPUDRA_FRACTIONAL_GPUS",
            "GPUDRA_HEALTH_ENABLED",
            "GPUDRA_HEALTH_TAINT_EFFECT",
            "GPUDRA_HEALTH_IGNORED_XIDS",
            "GPUDRA_HEALTH_CHECK_INTERVAL_SECONDS",
            "GPUDRA_HEALTH_RECOVERY_QUIET_PERIOD_SECONDS",
            "GPUDRA_MPS_DAEMON",
            "GPUDRA_IMAGE",
            "GPUDRA_MPS_DAEMON_PRIORITY_CLASS",
            "POD_NAMESPACE",
            "JDK_JAVA_OPTIONS")
        .containsEntry(
            "JDK_JAVA_OPTIONS",
            "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms16m -Xmx64m -Xss256k"
                + " -XX:ReservedCodeCacheSize=24m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20"
                + " -XX:AOTCache=/app/aot/kubelet-plugin.aot")
        .containsEntry("KUBELET_PLUGIN_DIRECTORY_PATH", "/var/lib/kubelet/plugins/gpu.gpudra.dev")
        .containsEntry("KUBELET_REGISTRAR_DIRECTORY_PATH", "/var/lib/kubelet/plugins_registry")
        .containsEntry("GPUDRA_CHECKPOINT_DIR", "/var/lib/kubelet/plugins/gpu.gpudra.dev")
        .containsEntry("GPUDRA_DRIVER_ROOT", "/driver-root")
        .containsEntry("GPUDRA_HOST_DRIVER_ROOT", "/")
        .containsEntry("GPUDRA_SYSFS_ROOT", "/host/sys")
        .containsEntry("GPUDRA_METRICS_PORT", "8080")
        .containsEntry("GPUDRA_DYNAMIC_MIG", "false")
        .containsEntry("GPUDRA_SHARING_STRATEGIES", "Exclusive")
        .containsEntry("GPUDRA_CDI_HOOK_PATH", "/usr/bin/nvidia-cdi-hook")
        .containsEntry("GPUDRA_FRACTIONAL_GPUS", "false")
        .containsEntry("GPUDRA_HEALTH_ENABLED", "true")
        .containsEntry("GPUDRA_HEALTH_TAINT_EFFECT", "NoSchedule")
        .containsEntry("GPUDRA_MPS_DAEMON", "pod")
        .containsEntry("GPUDRA_MPS_DAEMON_PRIORITY_CLASS", "system-node-critical");
    assertThat(
            plugin.getEnv().stream()
                .filter(e -> e.getValueFrom() != null)
                .collect(
                    Collectors.toMap(
                        EnvVar::getName, e -> e.getValueFrom().getFieldRef().getFieldPath())))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "NODE_NAME",
                "spec.nodeName",
                "POD_UID",
                "metadata.uid",
                "POD_NAMESPACE",
                "metadata.namespace"));
  }

  @Test
  void valuesReachTheEnvironmentOneToOne() {
    List<HasMetadata> rendered =
        ChartManifests.render(
            plane,
            NAMESPACE,
            "kubeletPlugin.dynamicMig=true",
            "kubeletPlugin.metricsPort=9400",
            "kubeletPlugin.driverRoot=/run/nvidia/driver",
            "kubeletPlugin.checkpointDir=/var/lib/gpudra",
            "kubeletPlugin.nvmlLibrary=/driver-root/usr/lib64/libnvidia-ml.so.1",
            "kubeletPlugin.sysfsRoot=/run/host/sys",
            "kubeletPlugin.sharingStrategies={Exclusive,TimeSlicing}",
            "kubeletPlugin.cdiHookPath=/usr/local/nvidia/toolkit/nvidia-cdi-hook");
    Container plugin = pluginContainer(rendered);

    assertThat(env(plugin))
        .containsEntry("GPUDRA_DYNAMIC_MIG", "true")
        .containsEntry("GPUDRA_METRICS_PORT", "9400")
        .containsEntry("GPUDRA_HOST_DRIVER_ROOT", "/run/nvidia/driver")
        .containsEntry("GPUDRA_CHECKPOINT_DIR", "/var/lib/gpudra")
        .containsEntry("GPUDRA_NVML_LIBRARY", "/driver-root/usr/lib64/libnvidia-ml.so.1")
        .containsEntry("GPUDRA_SHARING_STRATEGIES", "Exclusive,TimeSlicing")
        .containsEntry("GPUDRA_CDI_HOOK_PATH", "/usr/local/nvidia/toolkit/nvidia-cdi-hook");
    assertThat(plugin.getPorts().getFirst().getContainerPort()).isEqualTo(9400);
    assertThat(hostPaths(daemonSet(rendered))).containsEntry("host-sys", "/run/host/sys");
  }

  @Test
  void fakeGpuModeLoadsTheMockLibraryWithStateOnTheHost() {
    List<HasMetadata> rendered =
        ChartManifests.render(plane, NAMESPACE, "fakeGpu.enabled=true", "fakeGpu.profile=h100-8x");

    assertThat(env(pluginContainer(rendered)))
        .containsEntry("GPUDRA_NVML_LIBRARY", "/app/mock-nvml/libnvidia-ml.so.1")
        .containsEntry("GPUDRA_MOCK_NVML_PROFILE", "h100-8x")
        .containsEntry("GPUDRA_MOCK_NVML_STATE", "/var/lib/gpudra/mock-nvml/h100-8x.state")
        .containsEntry("GPUDRA_CDI_HOOK_PATH", "")
        .doesNotContainKey("GPUDRA_TEST_KILL_AT_STEP");
    assertThat(hostPaths(daemonSet(rendered))).containsValue("/var/lib/gpudra/mock-nvml");
  }

  @Test
  void daemonSetRunsOnTaintedGpuNodesWithTheKubeletsDirectoriesAndSurgesOnUpdate() {
    DaemonSet daemonSet = daemonSet(ChartManifests.render(plane, NAMESPACE));
    var pod = daemonSet.getSpec().getTemplate().getSpec();

    assertThat(pod.getPriorityClassName()).isEqualTo("system-node-critical");
    assertThat(pod.getTolerations())
        .extracting(Toleration::getKey, Toleration::getOperator)
        .contains(
            Tuple.tuple("nvidia.com/gpu", "Exists"),
            Tuple.tuple("batch.amazonaws.com/batch-node", "Exists"));
    assertThat(hostPaths(daemonSet))
        .containsEntry("plugins-registry", "/var/lib/kubelet/plugins_registry")
        .containsEntry("plugin-dir", "/var/lib/kubelet/plugins/gpu.gpudra.dev")
        .containsEntry("cdi-dir", "/var/run/cdi")
        .containsEntry("driver-root", "/")
        .containsEntry("host-dev", "/dev")
        .containsEntry("host-proc", "/proc")
        .containsEntry("host-sys", "/sys");
    var rollingUpdate = daemonSet.getSpec().getUpdateStrategy().getRollingUpdate();
    assertThat(rollingUpdate.getMaxSurge().getIntVal()).isEqualTo(1);
    assertThat(rollingUpdate.getMaxUnavailable().getIntVal()).isZero();
    assertThat(pluginContainer(List.of(daemonSet)).getLivenessProbe().getHttpGet().getPath())
        .isEqualTo("/healthz");
    // Ready only once the kubelet registered the plugin: the surge waits for it.
    var readiness = pluginContainer(List.of(daemonSet)).getReadinessProbe();
    assertThat(readiness.getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(readiness.getHttpGet().getPort().getStrVal()).isEqualTo("metrics");
    assertThat(readiness.getPeriodSeconds()).isEqualTo(2);
  }

  @Test
  void updateStrategyAndReadinessTimingsAreValues() {
    DaemonSet daemonSet =
        daemonSet(
            ChartManifests.render(
                plane,
                NAMESPACE,
                "kubeletPlugin.updateStrategy.rollingUpdate.maxSurge=0",
                "kubeletPlugin.updateStrategy.rollingUpdate.maxUnavailable=1",
                "kubeletPlugin.readinessProbe.periodSeconds=7"));

    var rollingUpdate = daemonSet.getSpec().getUpdateStrategy().getRollingUpdate();
    assertThat(rollingUpdate.getMaxSurge().getIntVal()).isZero();
    assertThat(rollingUpdate.getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(pluginContainer(List.of(daemonSet)).getReadinessProbe().getPeriodSeconds())
        .isEqualTo(7);
  }

  @Test
  void controllerRunsTheControllerMainWithItsConfigurationKeys() {
    Deployment controller =
        ChartManifests.ofType(ChartManifests.render(plane, NAMESPACE), Deployment.class).getFirst();
    Container container = controller.getSpec().getTemplate().getSpec().getContainers().getFirst();

    assertThat(controller.getSpec().getReplicas()).isEqualTo(1);
    assertThat(container.getCommand()).contains("dev.gpudra.controller.Main");
    Map<String, String> env = new HashMap<>(env(container));
    assertThat(env.remove("JDK_JAVA_OPTIONS"))
        .isEqualTo(
            "-XX:+UseSerialGC -XX:MaxRAMPercentage=75 -Xms32m -XX:MaxNewSize=10m"
                + " -XX:CompileThresholdScaling=4 -Xss512k -XX:MinHeapFreeRatio=10"
                + " -XX:MaxHeapFreeRatio=20 -XX:TieredStopAtLevel=1"
                + " -XX:TrimNativeHeapInterval=5000 -XX:AOTCache=/app/aot/driver-controller.aot");
    assertThat(env)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "GPUDRA_METRICS_PORT", "8080",
                "GPUDRA_METRICS_REFRESH_INTERVAL", "PT15S",
                "GPUDRA_INFORMER_SYNC_TIMEOUT", "PT2M",
                "GPUDRA_EXPLAIN_PENDING_AFTER", "PT1M",
                "GPUDRA_EVENT_REPEAT", "PT10M",
                "GPUDRA_EVENTS_PER_PASS", "20",
                "GPUDRA_PREBOUND_ALLOCATION", "true",
                "GPUDRA_PREBOUND_RESYNC", "PT5S",
                "POD_NAMESPACE", "",
                "POD_NAME", ""));
  }

  @Test
  void admissionPolicyCanBeTurnedOff() {
    List<HasMetadata> rendered =
        ChartManifests.render(plane, NAMESPACE, "resourceSliceAdmissionPolicy.enabled=false");

    assertThat(ChartManifests.ofType(rendered, ValidatingAdmissionPolicy.class)).isEmpty();
    assertThat(rendered)
        .extracting(HasMetadata::getKind)
        .doesNotContain("ValidatingAdmissionPolicyBinding");
  }

  @Test
  void schemaRejectsBadSettings() {
    for (String bad :
        List.of(
            "controller.metricsRefreshInterval=15s",
            "kubeletPlugin.sharingStrategies={TimeSlicing}",
            "kubeletPlugin.cdiDir=relative/cdi",
            "kubeletPlugin.sysfsRoot=sys",
            "kubeletPlugin.metricsPort=0",
            "fakeGpu.profile=no-such-profile",
            "image.pullPolicy=Sometimes",
            "kubeletPlugin.updateStrategy.type=Recreate",
            "kubeletPlugin.readinessProbe.periodSeconds=0")) {
      Command rendered = helm.template(bad);
      String key = bad.substring(bad.lastIndexOf('.', bad.indexOf('=')) + 1, bad.indexOf('='));
      assertThat(rendered.exitCode()).as(bad).isNotZero();
      assertThat(rendered.stderr()).as(bad).contains(key);
    }
  }

  private static DaemonSet daemonSet(List<HasMetadata> rendered) {
    return ChartManifests.ofType(rendered, DaemonSet.class).getFirst();
  }

  private static Container pluginContainer(List<HasMetadata> rendered) {
    return daemonSet(rendered).getSpec().getTemplate().getSpec().getContainers().getFirst();
  }

  /** Literal environment values by name; downward-API entries map to "". Fails on duplicates. */
  private static Map<String, String> env(Container container) {
    return container.getEnv().stream()
        .collect(Collectors.toMap(EnvVar::getName, e -> e.getValue() == null ? "" : e.getValue()));
  }

  private static Map<String, String> hostPaths(DaemonSet daemonSet) {
    return daemonSet.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getHostPath() != null)
        .collect(Collectors.toMap(Volume::getName, v -> v.getHostPath().getPath()));
  }
}
