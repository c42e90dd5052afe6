package dev.gpudra.cdi;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FileReader;
import java.io.FileWriter;
import java.io.RandomAccessFile;
import org.junit.jupiter.api.Test;

/** The module's shape: pure model and builders, file access only in the io package. */
class CdiArchitectureTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.gpudra.cdi");

  @Test
  void onlyTheIoPackageTouchesTheFilesystem() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.gpudra.cdi.io..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("java.nio.file..", "java.nio.channels..")
        .orShould()
        .dependOnClassesThat()
        .belongToAnyOf(
            File.class,
            FileInputStream.class,
            FileOutputStream.class,
            FileReader.class,
            FileWriter.class,
            RandomAccessFile.class)
        .check(MAIN);
  }

  @Test
  void theSpecModelKnowsNothingOfClaimsOrNodes() {
    noClasses()
        .that()
        .resideInAPackage("dev.gpudra.cdi.spec..")
        .should()
        .dependOnClassesThat()
        .resideOutsideOfPackages(
            "dev.gpudra.cdi.spec..", "java..", "com.fasterxml.jackson..", "tools.jackson..")
        .check(MAIN);
  }
}
