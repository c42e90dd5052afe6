package dev.gpudra.e2e.realnode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The images a real node needs besides the driver's, written as OCI image layout tars that {@code
 * ctr images import} loads, so no registry is involved: the pod sandbox ("pause") image containerd
 * pins, and the workload image the examples' containers run. Both are one layer holding a static
 * busybox and links for the applets the examples use; the pause image only sleeps.
 *
 * <p>The tars are deterministic (fixed times and owners, sorted entries), so their digests are the
 * same on every run with the same busybox.
 */
public final class OfflineImages {

  /** The sandbox image containerd pins ({@code pinned_images.sandbox}); kubelets 1.37 expect it. */
  public static final String PAUSE = "registry.k8s.io/pause:3.10";

  /**
   * The workload image of the examples' containers; {@code imagePullPolicy: IfNotPresent} finds it
   * preloaded.
   */
  public static final String WORKLOAD = "gpudra.dev/e2e/busybox:1.35";

  /** Applets linked to busybox in {@code /bin}: what the examples' commands call. */
  private static final List<String> APPLETS =
      List.of("sh", "ls", "env", "sleep", "cat", "echo", "grep", "sort", "stat", "true");

  /** Sorted keys: Map.of's iteration order changes between JVM runs, digests must not. */
  private static final JsonMapper JSON =
      JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

  private OfflineImages() {}

  /** Writes the pause image and the workload image into {@code dir}; returns both tars. */
  public static List<Path> write(Path busybox, Path dir) throws IOException {
    Files.createDirectories(dir);
    byte[] layer = layer(Files.readAllBytes(busybox));
    Path pause = dir.resolve("pause.tar");
    Path workload = dir.resolve("workload.tar");
    write(pause, PAUSE, layer, List.of("/bin/sleep", "2147483647"));
    write(workload, WORKLOAD, layer, List.of("/bin/sh"));
    return List.of(pause, workload);
  }

  private static byte[] layer(byte[] busybox) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarWriter tar = new TarWriter(bytes)) {
      for (String dir : List.of("bin", "dev", "etc", "proc", "sys", "tmp")) {
        tar.directory(dir, dir.equals("tmp") ? 01777 : 0755);
      }
      tar.file("bin/busybox", 0755, busybox);
      for (String applet : APPLETS) {
        tar.symlink("bin/" + applet, "busybox");
      }
    }
    return bytes.toByteArray();
  }

  private static void write(Path tarFile, String name, byte[] layer, List<String> entrypoint)
      throws IOException {
    String layerDigest = sha256(layer);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("architecture", "amd64");
    config.put("os", "linux");
    config.put("config", Map.of("Entrypoint", entrypoint, "Env", List.of("PATH=/bin")));
    config.put("rootfs", Map.of("type", "layers", "diff_ids", List.of(layerDigest)));
    byte[] configJson = JSON.writeValueAsBytes(config);
    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
    manifest.put("config", descriptor("application/vnd.oci.image.config.v1+json", configJson));
    manifest.put("layers", List.of(descriptor("application/vnd.oci.image.layer.v1.tar", layer)));
    byte[] manifestJson = JSON.writeValueAsBytes(manifest);
    Map<String, Object> entry =
        new LinkedHashMap<>(descriptor("application/vnd.oci.image.manifest.v1+json", manifestJson));
    entry.put(
        "annotations",
        Map.of(
            "io.containerd.image.name",
            name,
            "org.opencontainers.image.ref.name",
            name.substring(name.lastIndexOf(':') + 1)));
    byte[] index = JSON.writeValueAsBytes(Map.of("schemaVersion", 2, "manifests", List.of(entry)));
    try (OutputStream out = Files.newOutputStream(tarFile);
        TarWriter tar = new TarWriter(out)) {
      tar.file(
          "oci-layout",
          0644,
          "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
      tar.file("index.json", 0644, index);
      tar.directory("blobs", 0755);
      tar.directory("blobs/sha256", 0755);
      for (byte[] blob : List.of(layer, configJson, manifestJson)) {
        tar.file("blobs/sha256/" + sha256(blob).substring("sha256:".length()), 0644, blob);
      }
    }
  }

  private static Map<String, Object> descriptor(String mediaType, byte[] content) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("mediaType", mediaType);
    d.put("digest", sha256(content));
    d.put("size", content.length);
    return d;
  }

  private static String sha256(byte[] content) {
    try {
      return "sha256:"
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }
}
