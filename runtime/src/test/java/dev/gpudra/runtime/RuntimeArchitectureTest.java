package dev.gpudra.runtime;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * {@code runtime} sits below every daemon module and beside {@code core}: it must not reach into
 * any other module of ours, or the daemons' shared plumbing would drag domain code along.
 */
class RuntimeArchitectureTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.gpudra.runtime");

  @Test
  void runtimeDependsOnNoOtherModuleOfOurs() {
    noClasses()
        .that()
        .resideInAPackage("dev.gpudra.runtime..")
        .should()
        .dependOnClassesThat(
            resideInAPackage("dev.gpudra..").and(not(resideInAPackage("dev.gpudra.runtime.."))))
        .check(MAIN);
  }
}
