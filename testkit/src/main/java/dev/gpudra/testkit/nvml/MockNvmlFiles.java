package dev.gpudra.testkit.nvml;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The mock NVML library as files on disk, taken from this kit's class path (the build packs the
 * library, its built-in profiles and {@code nvml.h} under {@value #RESOURCE_ROOT} with an index).
 *
 * <p>A native library and the profiles it finds next to itself need real paths, so the resources
 * are written once to {@code java.io.tmpdir/gpudra-mock-nvml-<content hash>}: the same content
 * always lands in the same directory, and a new build of the library in a new one. The directory is
 * filled under a private name and renamed into place, so a directory under the final name is always
 * complete, and JVMs racing to create it all end up using the same one. Deliberately free of JNA:
 * {@code scripts/fake-node.sh} runs {@link #main} with only the kit's classes.
 */
public final class MockNvmlFiles {

  /** Class path folder of the packed files. */
  public static final String RESOURCE_ROOT = "gpudra-mock-nvml";

  /** The library's file name, as the real driver installs it. */
  public static final String LIBRARY = "libnvidia-ml.so.1";

  private MockNvmlFiles() {}

  /** Computed once per JVM: the directory never changes under a given content hash. */
  private static final class Holder {
    static final Path DIR = materialise(Path.of(System.getProperty("java.io.tmpdir")));
  }

  /**
   * The directory holding {@value #LIBRARY}, {@code profiles/} and {@code include/nvml.h}, created
   * on first use.
   */
  public static Path dir() {
    return Holder.DIR;
  }

  /** {@code MockNvmlFiles}: prints the library's path, for scripts. */
  public static void main(String[] args) {
    System.out.println(dir().resolve(LIBRARY));
  }

  /** Writes the packed files under {@code parent}, unless an identical copy is already there. */
  static Path materialise(Path parent) {
    Map<String, byte[]> files = packedFiles();
    Path dir = parent.resolve("gpudra-mock-nvml-" + contentHash(files));
    if (Files.isRegularFile(dir.resolve(LIBRARY))) {
      return dir;
    }
    Path staging = parent.resolve(dir.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        Path target = staging.resolve(file.getKey());
        Files.createDirectories(target.getParent());
        Files.write(target, file.getValue());
      }
      Files.createSymbolicLink(staging.resolve("libnvidia-ml.so"), Path.of(LIBRARY));
      try {
        Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        deleteTree(staging); // another JVM won the race with the same content
      } catch (FileSystemException e) {
        if (!Files.isRegularFile(dir.resolve(LIBRARY))) {
          throw e;
        }
        deleteTree(staging);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the mock NVML library under " + parent, e);
    }
    return dir;
  }

  /** Relative path to content, in the index's order. */
  private static Map<String, byte[]> packedFiles() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (String name : new String(resource("index"), StandardCharsets.UTF_8).split("\n")) {
      if (!name.isBlank()) {
        files.put(name.strip(), resource(name.strip()));
      }
    }
    if (!files.containsKey(LIBRARY)) {
      throw new IllegalStateException(
          "the kit's index names no " + LIBRARY + "; rebuild it (./mvnw -pl testkit -am package)");
    }
    return files;
  }

  private static byte[] resource(String name) {
    String path = RESOURCE_ROOT + "/" + name;
    try (InputStream in = MockNvmlFiles.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(
            path + " is not on the class path; the gpudra-testkit build packs it");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String contentHash(Map<String, byte[]> files) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        digest.update(file.getKey().getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(file.getValue());
      }
      return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      List<Path> all = paths.sorted(Comparator.reverseOrder()).toList();
      for (Path path : all) {
        Files.deleteIfExists(path);
      }
    }
  }
}
