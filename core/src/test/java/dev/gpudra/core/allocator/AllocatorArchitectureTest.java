package dev.gpudra.core.allocator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class AllocatorArchitectureTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.gpudra.core.allocator", "dev.gpudra.core.cel");

  @Test
  void allocatorAndCelStayPureDomainCode() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.fabric8.kubernetes.client..",
            "io.grpc..",
            "com.sun.jna..",
            "java.nio.file..",
            "java.net..")
        .because("the allocator is a pure function of cluster state; I/O belongs to the edges")
        .check(MAIN);
  }

  @Test
  void celEnvironmentDoesNotDependOnTheAllocator() {
    noClasses()
        .that()
        .resideInAPackage("dev.gpudra.core.cel..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.gpudra.core.allocator..")
        .check(MAIN);
  }
}
