package dev.gpudra.e2e;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Keeps the cluster harness (this module's main classes) fit to run outside JUnit, as {@code
 * scripts/local-cluster.sh} runs it: only the extensions of {@code dev.gpudra.e2e.junit} use JUnit,
 * and the plugin and the controller are processes the harness starts, never classes it links (they
 * sit on its class path only at runtime).
 */
class HarnessArchitectureTest {

  private static final JavaClasses HARNESS =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.gpudra.e2e");

  @Test
  void onlyTheJunitPackageUsesJunit() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.gpudra.e2e.junit..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.junit..")
        .because("the local cluster runs the harness without JUnit")
        .check(HARNESS);
  }

  @Test
  void theHarnessLinksNeitherTheControllerNorThePluginNorTheCli() {
    noClasses()
        .should()
        .dependOnClassesThat(
            resideInAnyPackage(
                "dev.gpudra.controller..", "dev.gpudra.plugin..", "dev.gpudra.cli.."))
        .because("both run in JVMs of their own, configured by environment as the chart does")
        .check(HARNESS);
  }
}
