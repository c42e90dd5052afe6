package dev.gpudra.core.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code core} a pure domain: decisions there are functions of data, so it may not reach the
 * API server, gRPC, native libraries, files or the network. Fabric8's <em>model</em> classes
 * (ResourceSlice and friends) are data and stay allowed.
 */
class CoreIsPureTest {

  private static final JavaClasses CORE =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.gpudra.core");

  private static void check(ArchRule rule) {
    rule.check(CORE);
  }

  @Test
  void coreDoesNotUseTheKubernetesClient() {
    check(
        noClasses()
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("io.fabric8.kubernetes.client..")
            .because("core decides; classes at the edges talk to the API server"));
  }

  @Test
  void coreDoesNotUseGrpc() {
    check(noClasses().should().dependOnClassesThat().resideInAnyPackage("io.grpc.."));
  }

  @Test
  void coreDoesNotUseNativeLibraries() {
    check(noClasses().should().dependOnClassesThat().resideInAnyPackage("com.sun.jna.."));
  }

  @Test
  void coreDoesNotTouchFiles() {
    check(
        noClasses()
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("java.nio.file..")
            .orShould()
            .dependOnClassesThat()
            .belongToAnyOf(
                java.io.File.class,
                java.io.FileInputStream.class,
                java.io.FileOutputStream.class,
                java.io.FileReader.class,
                java.io.FileWriter.class,
                java.io.RandomAccessFile.class));
  }

  @Test
  void coreDoesNotUseTheNetwork() {
    check(noClasses().should().dependOnClassesThat().resideInAnyPackage("java.net.."));
  }
}
