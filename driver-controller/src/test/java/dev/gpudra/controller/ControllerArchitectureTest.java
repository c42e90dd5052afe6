package dev.gpudra.controller;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * What the controller may depend on. It is a cluster daemon: it never loads native code (JNA) nor
 * talks to NVML, which live on the nodes, and its production classes never reach into the test kit,
 * which exists only on test classpaths.
 */
class ControllerArchitectureTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.gpudra.controller");

  @Test
  void noControllerClassUsesJnaOrNvml() {
    noClasses()
        .that()
        .resideInAPackage("dev.gpudra.controller..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("com.sun.jna..", "dev.gpudra.nvml..")
        .check(MAIN);
  }

  @Test
  void noProductionClassUsesTheTestKit() {
    noClasses()
        .that()
        .resideInAPackage("dev.gpudra.controller..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.gpudra.testkit..")
        .check(MAIN);
  }
}
