package dev.gpudra.core.allocator;

import static dev.gpudra.core.allocator.Fixtures.claim;
import static dev.gpudra.core.allocator.Fixtures.device;
import static dev.gpudra.core.allocator.Fixtures.deviceClass;
import static dev.gpudra.core.allocator.Fixtures.exactly;
import static dev.gpudra.core.allocator.Fixtures.node;
import static dev.gpudra.core.allocator.Fixtures.nodeSlice;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import java.util.ArrayList;
import java.util.List;

/**
 * Selector expressions evaluated against single devices, so that the CEL environment's verdicts
 * (true, false, compile or runtime error) are compared with Kubernetes' one expression at a time.
 */
final class SelectorScenarios {
  private static final String A = "device.attributes[\"gpu.gpudra.dev\"]";
  private static final String C = "device.capacity[\"gpu.gpudra.dev\"]";

  static final List<String> EXPRESSIONS =
      List.of(
          "device.driver == \"gpu.gpudra.dev\"",
          "device.driver.startsWith(\"gpu.\")",
          A + ".model == \"H100\"",
          A + ".model in [\"A100\", \"H100\"]",
          A + ".model.lowerAscii() == \"h100\"",
          A + ".model.upperAscii().contains(\"H1\")",
          A + ".model.matches(\"^[AH][0-9]+$\")",
          A + ".model.size() == 4",
          A + ".model.substring(1) == \"100\"",
          A + ".model.indexOf(\"1\") == 1",
          A + ".model.replace(\"H\", \"A\") == \"A100\"",
          A + ".model.split(\"1\").size() == 2",
          "[\"a\", \"b\"].join(\"-\") == \"a-b\"",
          "\"  x \".trim() == \"x\"",
          "\"%s-%d\".format([\"a\", 1]) == \"a-1\"",
          A + ".numa == 1",
          A + ".numa > 0 && " + A + ".numa < 2",
          A + ".numa + 1 == 2.0",
          A + ".numa == 1u",
          A + ".mig",
          "!" + A + ".mig",
          A + ".driverVersion.isGreaterThan(semver(\"550.0.0\"))",
          A + ".driverVersion.isLessThan(semver(\"550.0.0\"))",
          A + ".driverVersion.compareTo(semver(\"560.1.0\")) == 0",
          A + ".driverVersion.major() == 560 && " + A + ".driverVersion.minor() == 1",
          A + ".driverVersion.patch() == 0",
          A + ".driverVersion == semver(\"560.1.0\")",
          "semver(\"v1.2\", true) == semver(\"1.2.0\")",
          "isSemver(\"1.2.3\") && !isSemver(\"1.2\") && isSemver(\"v1.2\", true)",
          "semver(\"1.2\") == semver(\"1.2.0\")",
          C + ".memory.compareTo(quantity(\"40Gi\")) >= 0",
          C + ".memory.isGreaterThan(quantity(\"79Gi\"))",
          C + ".memory.isLessThan(quantity(\"1Ti\"))",
          C + ".memory == quantity(\"81920Mi\")",
          C + ".memory.asInteger() > 0",
          C + ".memory.asApproximateFloat() > 1e10",
          C + ".memory.add(quantity(\"1Gi\")).isGreaterThan(quantity(\"80Gi\"))",
          C + ".memory.sub(1).isInteger()",
          "quantity(\"500m\").isInteger()",
          "quantity(\"1.5\").asInteger() == 1",
          "sign(quantity(\"-1\")) == -1",
          "isQuantity(\"1Gi\") && !isQuantity(\"1 Gi\")",
          "quantity(\"x\") == quantity(\"1\")",
          "has(" + A + ".uuid)",
          "has(device.attributes[\"other.dev\"].model)",
          A + ".uuid == \"x\"",
          "device.attributes[\"other.dev\"].model == \"x\"",
          "device.allowMultipleAllocations",
          "[1, 2, 3].exists(x, x == 2)",
          "[1, 2, 3].all(x, x > 0)",
          "[1, 2, 3].exists_one(x, x > 2)",
          "[1, 2, 3].map(x, x * 2)[2] == 6",
          "[1, 2, 3].filter(x, x > 1).size() == 2",
          "[3, 1, 2].sort() == [1, 2, 3]",
          "[1, [2, 3]].flatten() == [1, 2, 3]",
          "lists.range(3) == [0, 1, 2]",
          "[1, 2, 2].distinct() == [1, 2]",
          "[1, 2].reverse() == [2, 1]",
          "[1, 2, 3].slice(1, 2) == [2]",
          "sets.contains([1, 2, 3], [1, 3])",
          "sets.intersects([1, 2], [2, 5])",
          "sets.equivalent([1, 2], [2, 1])",
          "cel.bind(m, " + A + ".model, m == \"H100\" || m == \"A100\")",
          A + ".?uuid.orValue(\"none\") == \"none\"",
          A + ".?model.hasValue()",
          "optional.of(1).value() == 1",
          "device.attributes.exists(d, d == \"gpu.gpudra.dev\")",
          "size(" + A + ") > 3",
          "\"model\" in " + A,
          "device.foo == 1",
          "device.driver",
          "device.driver == ",
          "undefinedVar == 1",
          "1 / 0 == 1",
          "int(\"x\") == 1",
          "dyn(1) == dyn(\"1\")",
          "math.greatest(1, 2) == 2",
          "base64.encode(b\"a\") == \"YQ==\"",
          "\"abc\".reverse() == \"cba\"",
          "[1, \"a\"].size() == 2",
          "{\"a\": 1, \"b\": \"x\"}.size() == 2",
          "[1, dyn(\"a\")].size() == 2",
          "\"ab\".charAt(1) == \"b\" && \"a\\\"b\".quote().size() > 0");

  /**
   * Expressions on which this environment knowingly differs from Kubernetes': {@code format()} is
   * not available in cel-java, so it fails to compile here.
   */
  static final List<String> KNOWN_DIFFERENCES = List.of("\"%s-%d\".format([\"a\", 1]) == \"a-1\"");

  private SelectorScenarios() {}

  static List<Device> devices() {
    Device h100 =
        device(
            "gpu-0",
            "model",
            "H100",
            "numa",
            1L,
            "mig",
            true,
            "driverVersion",
            "v:560.1.0",
            "memory",
            new Quantity("80Gi"));
    Device bare = device("gpu-1", "model", "A100", "numa", 0L, "mig", false);
    return List.of(h100, bare);
  }

  static List<Scenario> scenarios() {
    List<Scenario> out = new ArrayList<>();
    for (int e = 0; e < EXPRESSIONS.size(); e++) {
      for (Device d : devices()) {
        out.add(
            new Scenario(
                "selector-" + e + "-" + d.getName() + ": " + EXPRESSIONS.get(e),
                node("node-a"),
                List.of(nodeSlice("s", "node-a", "node-a", d)),
                List.of(deviceClass("any")),
                List.of(),
                List.of(claim("c", exactly("r", "any", 1, EXPRESSIONS.get(e))).build())));
      }
    }
    return out;
  }
}
