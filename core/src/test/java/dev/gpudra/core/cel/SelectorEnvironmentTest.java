package dev.gpudra.core.cel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SelectorEnvironmentTest {
  private static final SelectorEnvironment ENV = SelectorEnvironment.create();

  private static final Device A100 =
      new DeviceBuilder()
          .withName("gpu-0")
          .withAttributes(
              Map.of(
                  "productName", str("NVIDIA A100-SXM4-40GB"),
                  "type", str("gpu"),
                  "driverVersion", ver("550.54.15"),
                  "cudaComputeCapability", ver("8.0.0"),
                  "index", integer(0),
                  "migCapable", bool(true),
                  "resource.kubernetes.io/pcieRoot", str("pci0000:00")))
          .withCapacity(Map.of("memory", cap("40Gi"), "other.dev/slots", cap("4")))
          .build();

  private static final DeviceInput INPUT = DeviceInput.of("gpu.gpudra.dev", A100);

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          device.driver == "gpu.gpudra.dev"                                                   | true
          device.driver == "other.dev"                                                        | false
          device.attributes["gpu.gpudra.dev"].type == "gpu"                                   | true
          device.attributes["gpu.gpudra.dev"].productName.startsWith("NVIDIA A100")           | true
          device.attributes["gpu.gpudra.dev"].productName.lowerAscii().contains("a100")       | true
          device.attributes["gpu.gpudra.dev"].index == 0                                      | true
          device.attributes["gpu.gpudra.dev"].index == 0.0                                    | true
          device.attributes["gpu.gpudra.dev"].migCapable                                      | true
          device.attributes["resource.kubernetes.io"].pcieRoot == "pci0000:00"                | true
          has(device.attributes["gpu.gpudra.dev"].uuid)                                       | false
          has(device.attributes["unknown.dev"].anything)                                      | false
          device.attributes["gpu.gpudra.dev"].driverVersion.isGreaterThan(semver("535.0.0")) | true
          device.attributes["gpu.gpudra.dev"].driverVersion.isLessThan(semver("535.0.0"))    | false
          device.attributes["gpu.gpudra.dev"].driverVersion.major() >= 550                   | true
          device.attributes["gpu.gpudra.dev"].cudaComputeCapability.compareTo(semver("8.0.0")) == 0 | true
          device.attributes["gpu.gpudra.dev"].cudaComputeCapability == semver("8.0.0")       | true
          semver("v8.0", true) == semver("8.0.0")                                             | true
          !isSemver("1.2") && isSemver("1.2", true)                                            | true
          device.capacity["gpu.gpudra.dev"].memory.compareTo(quantity("40Gi")) == 0           | true
          device.capacity["gpu.gpudra.dev"].memory == quantity("40960Mi")                     | true
          device.capacity["gpu.gpudra.dev"].memory.isGreaterThan(quantity("32Gi"))           | true
          device.capacity["gpu.gpudra.dev"].memory.isLessThan(quantity("32Gi"))              | false
          device.capacity["other.dev"].slots.asInteger() == 4                                 | true
          device.capacity["other.dev"].slots.add(1).sub(quantity("500m")).isInteger()         | false
          sign(quantity("-1k")) == -1                                                         | true
          quantity("1.5").asApproximateFloat() == 1.5                                         | true
          isQuantity("1Gi") && !isQuantity("1 Gi")                                            | true
          device.allowMultipleAllocations                                                     | false
          ["a", "b"].exists(x, x == "b")                                                      | true
          [3, 1, 2].sort() == [1, 2, 3]                                                       | true
          sets.contains([1, 2, 3], [2])                                                       | true
          [device.driver, "x"].size() == 2                                                    | true
          "a,b".split(",").size() == 2                                                        | true
          cel.bind(m, device.capacity["gpu.gpudra.dev"].memory, m.isGreaterThan(quantity("1Gi"))) | true
          device.attributes["gpu.gpudra.dev"].?uuid.orValue("none") == "none"               | true
          """)
  void evaluatesSelectorsAgainstADevice(String expression, boolean expected) throws Exception {
    assertThat(compiled(expression).matches(INPUT)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          device.driver ==                                   | compilation failed: ERROR: <input>:1:
          device.drivr == "x"                                | undefined field 'drivr'
          "gpu"                                              | must evaluate to bool
          quantity(1)                                        | compilation failed:
          undeclared == 1                                    | undeclared reference to 'undeclared'
          [1, "a"].size() == 2                               | expected type 'int' but found 'string'
          {"a": 1, "b": "x"}.size() == 2                     | expected type 'int' but found 'string'
          "abc".reverse() == "cba"                           | no matching overload for 'reverse'
          math.greatest(1, 2) == 2                           | compilation failed:
          """)
  void rejectsInvalidExpressionsWithKubernetesStyleMessages(String expression, String message) {
    Compilation result = ENV.compile(expression);
    assertThat(result).isInstanceOf(Compilation.Invalid.class);
    assertThat(((Compilation.Invalid) result).message()).contains(message);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          device.attributes["gpu.gpudra.dev"].uuid == "x"     | uuid
          quantity("nonsense").sign() == 1                   | quantities must match
          semver("1.02.3") == semver("1.2.3")                | Invalid version number
          device.capacity["other.dev"].slots.add(quantity("0.5")).asInteger() == 4 | cannot convert value to integer
          """)
  void reportsRuntimeErrors(String expression, String message) {
    Compilation result = ENV.compile(expression);
    if (result instanceof Compilation.Invalid invalid) {
      // sign() is global in Kubernetes' library, so the member call fails to compile there too.
      assertThat(invalid.message()).contains("compilation failed");
      return;
    }
    assertThatThrownBy(() -> ((Compilation.Compiled) result).selector().matches(INPUT))
        .isInstanceOf(SelectorEvaluationException.class)
        .hasMessageContaining(message);
  }

  @Test
  void stopsAnEvaluationThatExceedsTheCostLimit() {
    SelectorEnvironment tight = SelectorEnvironment.withCostLimit(50);
    CompiledSelector selector =
        ((Compilation.Compiled)
                tight.compile(
                    "[1,2,3,4,5,6,7,8,9,10].all(x, [1,2,3,4,5,6,7,8,9,10].all(y, x * y > 0))"))
            .selector();
    assertThatThrownBy(() -> selector.matches(INPUT))
        .isInstanceOf(SelectorEvaluationException.class)
        .hasMessageContaining("cost limit exceeded");
  }

  @Test
  void evaluatesTheSameExpressionWithinTheDefaultLimit() throws Exception {
    assertThat(
            compiled("[1,2,3,4,5,6,7,8,9,10].all(x, [1,2,3,4,5,6,7,8,9,10].all(y, x * y > 0))")
                .matches(INPUT))
        .isTrue();
  }

  @Test
  void rejectsAnOverlongExpression() {
    String longExpression = "true && ".repeat(2000) + "true";
    assertThat(ENV.compile(longExpression)).isInstanceOf(Compilation.Invalid.class);
  }

  private static CompiledSelector compiled(String expression) {
    Compilation c = ENV.compile(expression);
    assertThat(c).as("compiles: %s", c).isInstanceOf(Compilation.Compiled.class);
    return ((Compilation.Compiled) c).selector();
  }

  static DeviceAttribute str(String v) {
    DeviceAttribute a = new DeviceAttribute();
    a.setString(v);
    return a;
  }

  static DeviceAttribute ver(String v) {
    DeviceAttribute a = new DeviceAttribute();
    a.setVersion(v);
    return a;
  }

  static DeviceAttribute integer(long v) {
    DeviceAttribute a = new DeviceAttribute();
    a.setInt(v);
    return a;
  }

  static DeviceAttribute bool(boolean v) {
    DeviceAttribute a = new DeviceAttribute();
    a.setBool(v);
    return a;
  }

  static DeviceCapacity cap(String q) {
    DeviceCapacity c = new DeviceCapacity();
    c.setValue(new Quantity(q));
    return c;
  }
}
