package dev.gpudra.image;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes an image as an OCI image layout in one tar ({@code oci-layout}, {@code index.json}, {@code
 * blobs/sha256/...}), the archive {@code ctr images import}, {@code kind load image-archive} and
 * {@code docker load} accept. Layers are uncompressed tars (their digest is their diff id), so
 * nothing in the archive depends on a compressor's version. The index names the image with
 * containerd's {@code io.containerd.image.name} annotation (the normalised name, which the CRI
 * plugin looks up) and the OCI {@code org.opencontainers.image.ref.name} (the tag).
 *
 * <p>Equal specs over equal files give a byte-identical archive: entries are sorted, owners, times
 * and modes fixed ({@link TarWriter}, {@link LayerContents}), JSON is ordered ({@link Json}) and
 * the config's creation time is the epoch.
 */
final class OciArchiveWriter {
  static final String LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar";
  static final String CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json";
  static final String MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
  static final String INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json";
  private static final String EPOCH = "1970-01-01T00:00:00Z";

  /** A content-addressed blob written to a scratch file. */
  record Blob(String digest, long size, Path file) {}

  /** What was written: the archive, its manifest's digest and each layer's blob. */
  record Result(Path archive, String manifestDigest, long archiveSize, List<NamedBlob> layers) {}

  /** A layer's name and blob. */
  record NamedBlob(String name, Blob blob) {}

  private OciArchiveWriter() {}

  /**
   * Writes {@code spec} to {@code archive} (replaced atomically), using {@code scratch} for blobs.
   */
  static Result write(ImageSpec spec, Path archive, Path scratch) throws IOException {
    Files.createDirectories(scratch);
    List<NamedBlob> layers = new ArrayList<>();
    for (ImageSpec.Layer layer : spec.layers()) {
      layers.add(new NamedBlob(layer.name(), layerBlob(layer, scratch)));
    }
    Blob config = jsonBlob(config(spec, layers), scratch, "config.json");
    Blob manifest = jsonBlob(manifest(config, layers), scratch, "manifest.json");
    byte[] index = Json.bytes(index(spec, manifest));

    Map<String, Blob> blobs = new TreeMap<>();
    for (Blob blob : allBlobs(layers, config, manifest)) {
      blobs.put(blob.digest().substring("sha256:".length()), blob);
    }
    Path partial = archive.resolveSibling(archive.getFileName() + ".partial");
    try (TarWriter tar = new TarWriter(new BufferedOutputStream(Files.newOutputStream(partial)))) {
      tar.directory("blobs", 0755);
      tar.directory("blobs/sha256", 0755);
      for (Map.Entry<String, Blob> e : blobs.entrySet()) {
        tar.file("blobs/sha256/" + e.getKey(), 0644, e.getValue().file());
      }
      tar.file("index.json", 0644, index);
      tar.file("oci-layout", 0644, Json.bytes(Map.of("imageLayoutVersion", "1.0.0")));
    }
    Files.move(
        partial, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return new Result(archive, manifest.digest(), Files.size(archive), List.copyOf(layers));
  }

  private static List<Blob> allBlobs(List<NamedBlob> layers, Blob config, Blob manifest) {
    List<Blob> all = new ArrayList<>();
    layers.forEach(l -> all.add(l.blob()));
    all.add(config);
    all.add(manifest);
    return all;
  }

  private static Blob layerBlob(ImageSpec.Layer layer, Path scratch) throws IOException {
    Path file = scratch.resolve("layer-" + layer.name() + ".tar");
    MessageDigest sha = sha256();
    try (TarWriter tar =
        new TarWriter(
            new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file)), sha))) {
      for (LayerEntry entry : LayerContents.read(layer.roots())) {
        switch (entry.kind()) {
          case DIRECTORY -> tar.directory(entry.path(), entry.mode());
          case SYMLINK -> tar.symlink(entry.path(), entry.linkTarget());
          case FILE -> tar.file(entry.path(), entry.mode(), entry.source());
        }
      }
    }
    return new Blob(hex(sha), Files.size(file), file);
  }

  private static Blob jsonBlob(Map<String, Object> json, Path scratch, String name)
      throws IOException {
    byte[] bytes = Json.bytes(json);
    Path file = scratch.resolve(name);
    Files.write(file, bytes);
    MessageDigest sha = sha256();
    sha.update(bytes);
    return new Blob(hex(sha), bytes.length, file);
  }

  private static Map<String, Object> config(ImageSpec spec, List<NamedBlob> layers) {
    Map<String, Object> runConfig = new LinkedHashMap<>();
    runConfig.put("User", spec.user());
    runConfig.put("Env", spec.env());
    runConfig.put("WorkingDir", "/");
    runConfig.put("Labels", new TreeMap<>(spec.labels()));
    List<Object> diffIds = new ArrayList<>();
    List<Object> history = new ArrayList<>();
    for (NamedBlob layer : layers) {
      diffIds.add(layer.blob().digest());
      Map<String, Object> step = new LinkedHashMap<>();
      step.put("created", EPOCH);
      step.put("created_by", "gpudra image build: layer " + layer.name());
      history.add(step);
    }
    Map<String, Object> rootfs = new LinkedHashMap<>();
    rootfs.put("type", "layers");
    rootfs.put("diff_ids", diffIds);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("created", EPOCH);
    config.put("architecture", "amd64");
    config.put("os", "linux");
    config.put("config", runConfig);
    config.put("rootfs", rootfs);
    config.put("history", history);
    return config;
  }

  private static Map<String, Object> manifest(Blob config, List<NamedBlob> layers) {
    List<Object> layerDescriptors = new ArrayList<>();
    layers.forEach(l -> layerDescriptors.add(descriptor(LAYER_MEDIA_TYPE, l.blob())));
    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", MANIFEST_MEDIA_TYPE);
    manifest.put("config", descriptor(CONFIG_MEDIA_TYPE, config));
    manifest.put("layers", layerDescriptors);
    return manifest;
  }

  private static Map<String, Object> index(ImageSpec spec, Blob manifest) {
    Map<String, Object> descriptor = descriptor(MANIFEST_MEDIA_TYPE, manifest);
    Map<String, Object> platform = new LinkedHashMap<>();
    platform.put("architecture", "amd64");
    platform.put("os", "linux");
    descriptor.put("platform", platform);
    Map<String, Object> annotations = new LinkedHashMap<>();
    annotations.put("io.containerd.image.name", spec.reference().normalised());
    annotations.put("org.opencontainers.image.ref.name", spec.reference().tag());
    descriptor.put("annotations", annotations);
    Map<String, Object> index = new LinkedHashMap<>();
    index.put("schemaVersion", 2);
    index.put("mediaType", INDEX_MEDIA_TYPE);
    index.put("manifests", List.of(descriptor));
    return index;
  }

  private static Map<String, Object> descriptor(String mediaType, Blob blob) {
    Map<String, Object> descriptor = new LinkedHashMap<>();
    descriptor.put("mediaType", mediaType);
    descriptor.put("digest", blob.digest());
    descriptor.put("size", blob.size());
    return descriptor;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static String hex(MessageDigest sha) {
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }
}
