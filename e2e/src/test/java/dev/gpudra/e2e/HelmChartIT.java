package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.e2e.chart.ChartDeviceClasses;
import dev.gpudra.e2e.chart.Helm;
import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.junit.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSelector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Helm chart, checked by the real Helm binary and accepted by the real API server. */
@ExtendWith(ControlPlaneExtension.class)
class HelmChartIT {

  private final ControlPlane plane;
  private final Helm helm;

  HelmChartIT(ControlPlane plane) {
    this.plane = plane;
    this.helm = new Helm(plane);
  }

  @Test
  void chartPassesStrictLint() {
    Command lint = helm.lint();

    assertThat(lint.exitCode()).as(lint.stdout() + lint.stderr()).isZero();
    assertThat(lint.stdout()).contains("1 chart(s) linted, 0 chart(s) failed");
  }

  /**
   * The package holds the dashboard and the rule file the templates read, and leaves the rules'
   * promtool tests out ({@code .helmignore}).
   */
  @Test
  void packageShipsTheRuleFileButNotItsTests() throws IOException {
    Path destination = Files.createDirectories(plane.workDir().resolve("helm-package"));
    Command pack = helm.packageChart(destination);
    assertThat(pack.exitCode()).as(pack.stdout() + pack.stderr()).isZero();
    Path archive;
    try (Stream<Path> files = Files.list(destination)) {
      archive = files.filter(f -> f.toString().endsWith(".tgz")).findFirst().orElseThrow();
    }

    List<String> entries =
        Command.check(Duration.ofMinutes(1), "tar", "tzf", archive.toString())
            .stdout()
            .lines()
            .toList();

    assertThat(entries)
        .contains(
            "gpudra/rules/gpudra-alerts.yaml",
            "gpudra/dashboards/gpudra.json",
            "gpudra/templates/monitoring.yaml")
        .noneMatch(e -> e.endsWith("_test.yaml"));
  }

  @Test
  void defaultsRenderBothDeviceClassesWhichTheApiServerStoresUnchanged() {
    List<HasMetadata> applied = ChartDeviceClasses.apply(plane);

    assertThat(applied).extracting(HasMetadata::getKind).containsOnly("DeviceClass");
    Map<String, String> expressions =
        plane.client().dynamicResourceAllocation().v1().deviceClasses().list().getItems().stream()
            .filter(c -> c.getMetadata().getName().endsWith(".gpudra.dev"))
            .collect(Collectors.toMap(c -> c.getMetadata().getName(), HelmChartIT::celExpression));
    assertThat(expressions)
        .containsOnlyKeys("gpu.gpudra.dev", "mig.gpudra.dev")
        .hasEntrySatisfying(
            "gpu.gpudra.dev",
            cel ->
                assertThat(cel)
                    .contains("device.driver == \"gpu.gpudra.dev\"")
                    .contains("device.attributes[\"gpu.gpudra.dev\"].type == \"gpu\""))
        .hasEntrySatisfying(
            "mig.gpudra.dev",
            cel ->
                assertThat(cel).contains("device.attributes[\"gpu.gpudra.dev\"].type == \"mig\""));
  }

  @Test
  void extendedResourceNameIsOffByDefaultAndServedWhenSet() {
    DeviceClass byDefault = gpuClass(ChartDeviceClasses.render(plane));
    assertThat(byDefault.getSpec().getExtendedResourceName()).isNull();

    DeviceClass rendered =
        gpuClass(
            ChartDeviceClasses.render(
                plane, "deviceClasses.gpu.extendedResourceName=nvidia.com/gpu"));
    // Server-side dry run: validated and defaulted by the API server, but not stored, so the
    // other scenarios keep the default classes.
    DeviceClass stored =
        plane
            .client()
            .resource(withName(rendered, "gpu-extended-dry-run.gpudra.dev"))
            .dryRun()
            .create();

    assertThat(stored.getSpec().getExtendedResourceName()).isEqualTo("nvidia.com/gpu");
  }

  @Test
  void disablingDeviceClassesRendersNothing() {
    assertThat(ChartDeviceClasses.render(plane, "deviceClasses.enabled=false")).isEmpty();
  }

  @Test
  void schemaRejectsUnknownValuesAndBadExtendedResourceNames() {
    Command unknown = helm.template("deviceClasses.gpuu.extendedResourceName=nvidia.com/gpu");
    Command badName = helm.template("deviceClasses.gpu.extendedResourceName=not a name");

    assertThat(unknown.exitCode()).isNotZero();
    assertThat(unknown.stderr()).contains("gpuu");
    assertThat(badName.exitCode()).isNotZero();
    assertThat(badName.stderr()).contains("extendedResourceName");
  }

  private static DeviceClass gpuClass(List<HasMetadata> rendered) {
    return rendered.stream()
        .filter(DeviceClass.class::isInstance)
        .map(DeviceClass.class::cast)
        .filter(c -> c.getMetadata().getName().equals("gpu.gpudra.dev"))
        .findFirst()
        .orElseThrow();
  }

  private static DeviceClass withName(DeviceClass deviceClass, String name) {
    deviceClass.getMetadata().setName(name);
    return deviceClass;
  }

  private static String celExpression(DeviceClass deviceClass) {
    List<DeviceSelector> selectors = deviceClass.getSpec().getSelectors();
    return selectors.stream()
        .map(s -> s.getCel().getExpression())
        .collect(Collectors.joining(" && "));
  }
}
