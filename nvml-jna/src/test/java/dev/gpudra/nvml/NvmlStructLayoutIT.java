package dev.gpudra.nvml;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Structure;
import dev.gpudra.testkit.nvml.MockNvml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compiles {@code src/test/c/nvml_layout.c} against the real {@code nvml.h} (the one the test kit's
 * mock library was built against) and checks that every JNA structure has the C compiler's size and
 * field offsets. A structure that drifts from the header would make NVML write past or short of
 * what Java reads.
 */
class NvmlStructLayoutIT {

  private static final Map<String, Supplier<NvmlStructure>> STRUCTURES =
      Map.of(
          "nvmlMemory_t", NvmlLibrary.MemoryInfo::new,
          "nvmlPciInfo_t", NvmlLibrary.PciInfo::new,
          "nvmlGpuInstancePlacement_t", NvmlLibrary.GpuInstancePlacement::new,
          "nvmlGpuInstanceProfileInfo_v2_t", NvmlLibrary.GpuInstanceProfileInfoV2::new,
          "nvmlGpuInstanceInfo_t", NvmlLibrary.GpuInstanceInfo::new,
          "nvmlComputeInstancePlacement_t", NvmlLibrary.ComputeInstancePlacement::new,
          "nvmlComputeInstanceProfileInfo_v2_t", NvmlLibrary.ComputeInstanceProfileInfoV2::new,
          "nvmlComputeInstanceInfo_t", NvmlLibrary.ComputeInstanceInfo::new,
          "nvmlEventData_t", NvmlLibrary.EventData::new);

  /** "struct field" or "struct sizeof" or "struct versionword" to the number C printed. */
  private static final Map<String, Long> C_LAYOUT = new HashMap<>();

  @BeforeAll
  static void compileAndRunLayoutProgram() throws IOException, InterruptedException {
    Path include = MockNvml.includeDir();
    assertThat(include.resolve("nvml.h")).as("nvml.h the test kit carries").isRegularFile();
    Path binary = Path.of("target", "nvml-layout");
    run(
        List.of(
            "gcc",
            "-Wall",
            "-Werror",
            "-I",
            include.toString(),
            "-o",
            binary.toString(),
            "src/test/c/nvml_layout.c"));
    for (String line : run(List.of(binary.toString())).split("\n")) {
      String[] parts = line.trim().split(" ");
      C_LAYOUT.put(parts[0] + " " + parts[1], Long.parseLong(parts[2]));
    }
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("%s exited non-zero:%n%s", command, output).isZero();
    return output;
  }

  static List<Arguments> structures() {
    return STRUCTURES.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> Arguments.of(e.getKey(), e.getValue()))
        .toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("structures")
  void jnaStructureMatchesTheHeader(String cName, Supplier<NvmlStructure> jna) {
    NvmlStructure structure = jna.get();
    String[] fields = structure.getClass().getAnnotation(Structure.FieldOrder.class).value();

    assertThat((long) structure.size()).as("sizeof(%s)", cName).isEqualTo(cSize(cName));
    for (String field : fields) {
      assertThat(C_LAYOUT)
          .as("nvml_layout.c prints %s.%s", cName, field)
          .containsKey(cName + " " + field);
      assertThat((long) structure.offsetOf(field))
          .as("offsetof(%s, %s)", cName, field)
          .isEqualTo(C_LAYOUT.get(cName + " " + field));
    }
    long cFieldCount =
        C_LAYOUT.keySet().stream()
            .filter(k -> k.startsWith(cName + " "))
            .filter(k -> !k.endsWith(" sizeof") && !k.endsWith(" versionword"))
            .count();
    assertThat(cFieldCount).as("fields of %s mapped in Java", cName).isEqualTo(fields.length);
  }

  @Test
  void versionedStructuresCarryTheHeadersVersionWord() {
    assertThat((long) NvmlLibrary.GpuInstanceProfileInfoV2.versioned().version)
        .isEqualTo(C_LAYOUT.get("nvmlGpuInstanceProfileInfo_v2_t versionword"));
    assertThat((long) NvmlLibrary.ComputeInstanceProfileInfoV2.versioned().version)
        .isEqualTo(C_LAYOUT.get("nvmlComputeInstanceProfileInfo_v2_t versionword"));
  }

  @Test
  void everyStructureTheBindingDeclaresIsChecked() {
    List<String> declared =
        Arrays.stream(NvmlLibrary.class.getDeclaredClasses())
            .filter(NvmlStructure.class::isAssignableFrom)
            .map(Class::getSimpleName)
            .sorted()
            .toList();
    List<String> checked =
        STRUCTURES.values().stream().map(s -> s.get().getClass().getSimpleName()).sorted().toList();
    assertThat(checked).isEqualTo(declared);
  }

  private static long cSize(String cName) {
    Long size = C_LAYOUT.get(cName + " sizeof");
    assertThat(size).as("nvml_layout.c prints sizeof(%s)", cName).isNotNull();
    return size;
  }
}
