package dev.gpudra.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.e2e.cluster.Command;
import dev.gpudra.e2e.cluster.GpudraCli;
import dev.gpudra.e2e.examples.ExampleManifests;
import dev.gpudra.e2e.junit.GpuScenario;
import dev.gpudra.e2e.monitoring.DriverControllerProcess;
import io.fabric8.kubernetes.api.model.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Why a claim is pending, on the real control plane with a fake 8x A100 80GB node, a fake 8x H100
 * 80GB node and a fake 1x A100 80GB node whose plugin publishes fractional GPUs (where the
 * agents-fractional example's capacity requests fit): the driver controller (its own JVM) names the
 * false selector clause with the value the devices have in its {@code ClaimPending} Event, and
 * {@code gpudra explain -f} (the cli in a child JVM with the cluster's kubeconfig, as a user runs
 * it) says where every example's claim would fit before it is applied, and why the unsatisfiable
 * ones fit nowhere.
 */
class ExplainPendingClaimsIT {

  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  /** The clause an H100 80GB fails for "an H100 with at least 80Gi", with its value. */
  private static final String MEMORY_CLAUSE = "memory 81559Mi (79.6Gi) < 80Gi";

  private static final Pattern CLAIM_KIND =
      Pattern.compile("(?m)^kind: ResourceClaim(Template)?\\s*$");

  @RegisterExtension
  static final GpuScenario scenario =
      GpuScenario.withoutNamespace()
          .withDeviceClasses("deviceClasses.gpu.extendedResourceName=nvidia.com/gpu")
          .withNode("gpu-a100-8x", "a100-8x")
          .withNode("gpu-h100-8x", "h100-8x")
          .withNode("gpu-a100-1x-shared", "a100-1x", Map.of("GPUDRA_FRACTIONAL_GPUS", "true"));

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void theH100With80GiClaimsEventNamesTheMemoryClauseWithTheValueTheGpusReport() {
    String ns = scenario.createNamespace("explain-h100-80gi");
    scenario.closeAfterAll(
        DriverControllerProcess.start(
            scenario.plane(),
            "default",
            List.of("-Xmx256m"),
            Map.of("GPUDRA_EXPLAIN_PENDING_AFTER", "PT1S")));
    long start = System.nanoTime();
    ExampleManifests.apply(
        scenario.client(),
        ns,
        "unsatisfiable",
        "h100-80gi-claim-template.yaml",
        "h100-80gi-pod.yaml");

    Event event =
        await("a ClaimPending Event naming the memory clause")
            .atMost(TIMEOUT)
            .pollInterval(Duration.ofMillis(500))
            .until(
                () ->
                    scenario.client().v1().events().inNamespace(ns).list().getItems().stream()
                        .filter(e -> "ClaimPending".equals(e.getReason()))
                        .filter(e -> e.getMessage().contains("81559Mi"))
                        .findFirst(),
                java.util.Optional::isPresent)
            .orElseThrow();
    System.out.printf(
        "[e2e] explain: ClaimPending on %s %s after %.1f s: %s%n",
        event.getInvolvedObject().getKind(),
        event.getInvolvedObject().getName(),
        (System.nanoTime() - start) / 1e9,
        event.getMessage());
    assertThat(event.getType()).isEqualTo("Warning");
    assertThat(event.getMessage()).contains(MEMORY_CLAUSE).contains("gpu-h100-8x");
  }

  @Test
  void explainFromAFileFitsEveryExampleAndDiagnosesTheUnsatisfiableOnes() throws IOException {
    List<Path> files = exampleClaimFiles();
    assertThat(files).hasSizeGreaterThanOrEqualTo(9);
    for (Path file : files) {
      boolean unsatisfiable = file.getParent().getFileName().toString().equals("unsatisfiable");
      JsonNode explanations = explainJson(file);
      assertThat(explanations.size()).as("claims explained from %s", file).isPositive();
      for (JsonNode e : explanations) {
        String claim = e.get("namespace").asString() + "/" + e.get("claim").asString();
        System.out.printf(
            "[e2e] explain -f %s: %s %s%n",
            file.getParent().getFileName().resolve(file.getFileName()),
            claim,
            e.get("fits").asBoolean()
                ? "fits on " + e.get("fitNodes") + " " + e.get("fitDevices")
                : "fits nowhere: " + e.get("causes").findValuesAsString("text"));
        if (!unsatisfiable) {
          assertThat(e.get("fits").asBoolean()).as("%s from %s fits", claim, file).isTrue();
          assertThat(e.get("fitNodes").size()).isPositive();
          assertThat(e.get("fitDevices").size()).isPositive();
        } else {
          assertThat(e.get("fits").asBoolean()).as("%s from %s fits", claim, file).isFalse();
          assertThat(e.get("causes").size()).as("causes for %s", claim).isPositive();
        }
      }
    }
    JsonNode h100 =
        explainJson(ExampleManifests.file("unsatisfiable", "h100-80gi-claim-template.yaml"));
    assertThat(h100.get(0).get("causes").findValuesAsString("text"))
        .anyMatch(t -> t.contains(MEMORY_CLAUSE));

    // The text form a user reads says "would fit" and names the node and devices.
    Command text =
        cli("explain", "-f", ExampleManifests.file("one-gpu", "claim-template.yaml").toString());
    assertThat(text.stdout()).contains("would fit on").containsPattern("gpu-[ah]100-\\S+ gpu-\\d");
  }

  /** Every YAML file under {@code examples/} holding a ResourceClaim or ResourceClaimTemplate. */
  private static List<Path> exampleClaimFiles() throws IOException {
    Path root = ExampleManifests.file("one-gpu", "claim-template.yaml").getParent().getParent();
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(p -> p.toString().endsWith(".yaml"))
          .filter(p -> CLAIM_KIND.matcher(read(p)).find())
          .sorted()
          .toList();
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static JsonNode explainJson(Path file) {
    return JSON.readTree(cli("explain", "-f", file.toString(), "-o", "json").stdout());
  }

  /** {@code gpudra ARGS} in a child JVM against the cluster, as a user runs it; must exit 0. */
  private static Command cli(String... args) {
    return GpudraCli.check(scenario.plane(), TIMEOUT, args);
  }
}
