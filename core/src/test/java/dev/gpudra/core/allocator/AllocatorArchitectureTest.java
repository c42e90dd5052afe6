package dev.gpudra.core.allocator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Layering inside the allocator: the CEL environment is a library the allocator uses, never the
 * other way round. Purity of all of {@code core} is {@code CoreIsPureTest}'s job.
 */
class AllocatorArchitectureTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.gpudra.core.allocator", "dev.gpudra.core.cel");

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
