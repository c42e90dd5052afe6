package dev.gpudra.testkit.kubelet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a container runtime would find for the CDI ids the kubelet got: every id {@code
 * <kind>=<name>} must be a device of that kind in a spec file of the CDI directory, as the
 * runtime's CDI cache resolves it. Returns problems as readable lines; none means consistent.
 */
public final class CdiSpecCheck {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private CdiSpecCheck() {}

  /** The qualified ids ({@code kind=name}) defined by the spec files in {@code cdiDir}. */
  public static Set<String> definedIds(Path cdiDir) {
    Set<String> ids = new HashSet<>();
    if (!Files.isDirectory(cdiDir)) {
      return ids;
    }
    try (Stream<Path> files = Files.list(cdiDir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
        JsonNode spec = JSON.readTree(Files.readString(f));
        String kind = spec.get("kind").stringValue();
        for (JsonNode device : spec.get("devices")) {
          ids.add(kind + "=" + device.get("name").stringValue());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ids;
  }

  /** Problems with the CDI ids of the successful outcomes; empty when all resolve. */
  public static List<String> problems(Path cdiDir, Map<String, ClaimOutcome> outcomes) {
    Set<String> defined = definedIds(cdiDir);
    List<String> problems = new ArrayList<>();
    outcomes.forEach(
        (uid, outcome) -> {
          if (!outcome.ok()) {
            return;
          }
          for (ClaimOutcome.PreparedDeviceView d : outcome.devices()) {
            if (d.cdiDeviceIds().isEmpty()) {
              problems.add(uid + "/" + d.deviceName() + ": no CDI id");
            }
            for (String id : d.cdiDeviceIds()) {
              if (!defined.contains(id)) {
                problems.add(uid + "/" + d.deviceName() + ": CDI id " + id + " is in no spec file");
              }
            }
          }
        });
    return problems;
  }
}
