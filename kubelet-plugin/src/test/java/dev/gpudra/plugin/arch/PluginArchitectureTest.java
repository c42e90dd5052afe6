package dev.gpudra.plugin.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The plugin's layering as rules the build checks: native code stays behind the NVML binding, the
 * binding stays behind one adapter package (and the composition root that opens it), and no
 * production class reaches into the test kit.
 */
class PluginArchitectureTest {

  private static final JavaClasses PLUGIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.gpudra.plugin");

  @Test
  void noPluginClassUsesJnaDirectly() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("com.sun.jna..")
        .because("native calls belong to the NVML binding")
        .check(PLUGIN);
  }

  @Test
  void onlyMainAndTheNvmlAdapterUseTheNvmlBinding() {
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName("dev.gpudra.plugin.Main")
        .and()
        .resideOutsideOfPackage("dev.gpudra.plugin.nvml..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.gpudra.nvml..")
        .because("NVML's types and errors must not leak past the adapter")
        .check(PLUGIN);
  }

  @Test
  void noProductionClassUsesTheTestKit() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.gpudra.testkit..")
        .because("the test kit is test scope")
        .check(PLUGIN);
  }
}
