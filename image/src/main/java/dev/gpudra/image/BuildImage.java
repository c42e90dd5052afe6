package dev.gpudra.image;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds the image archive from the command line, as the Maven build runs it at {@code package}:
 *
 * <pre>
 * BuildImage --output target/gpudra-image.tar --scratch target/image-scratch
 *     --reference gpudra/gpudra:0.1.0 --user 65532:65532
 *     --env PATH=... --label org.opencontainers.image.version=0.1.0
 *     --layer os=base/os --layer jre=base/jre --layer libs=root/libs --layer app=root/app,src/image
 * </pre>
 *
 * Layers are given bottom-up; each names one or more directories that mirror the image's root.
 * Prints the archive's size, the manifest digest (the image's identity: equal inputs, equal digest)
 * and each layer's size.
 */
public final class BuildImage {
  private BuildImage() {}

  /** Entry point; exits non-zero with a message naming the bad argument. */
  public static void main(String[] args) throws IOException {
    Path output = null;
    Path scratch = null;
    String reference = null;
    String user = "0:0";
    List<String> env = new ArrayList<>();
    Map<String, String> labels = new LinkedHashMap<>();
    List<ImageSpec.Layer> layers = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      String value = args[++i];
      switch (option) {
        case "--output" -> output = Path.of(value);
        case "--scratch" -> scratch = Path.of(value);
        case "--reference" -> reference = value;
        case "--user" -> user = value;
        case "--env" -> env.add(value);
        case "--label" -> {
          String[] kv = keyValue(option, value);
          labels.put(kv[0], kv[1]);
        }
        case "--layer" -> {
          String[] kv = keyValue(option, value);
          List<Path> roots =
              Arrays.stream(kv[1].split(",")).map(BuildImage::realDirectory).toList();
          layers.add(new ImageSpec.Layer(kv[0], roots));
        }
        default -> throw new IllegalArgumentException("unknown option " + option);
      }
    }
    if (output == null || scratch == null || reference == null) {
      throw new IllegalArgumentException("--output, --scratch and --reference are required");
    }
    ImageSpec spec = new ImageSpec(ImageReference.parse(reference), user, env, labels, layers);
    OciArchiveWriter.Result result = OciArchiveWriter.write(spec, output, scratch);
    System.out.printf(
        Locale.ROOT,
        "[image] %s (%s) -> %s%n[image] size %s, manifest %s%n",
        spec.reference(),
        spec.reference().normalised(),
        result.archive(),
        mib(result.archiveSize()),
        result.manifestDigest());
    for (OciArchiveWriter.NamedBlob layer : result.layers()) {
      System.out.printf(
          Locale.ROOT,
          "[image]   layer %-5s %10s  %s%n",
          layer.name(),
          mib(layer.blob().size()),
          layer.blob().digest());
    }
  }

  private static String[] keyValue(String option, String value) {
    int eq = value.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException(option + " wants KEY=VALUE, got " + value);
    }
    return new String[] {value.substring(0, eq), value.substring(eq + 1)};
  }

  /** Layer roots may be links (the cached base is); the walk starts at what they point to. */
  private static Path realDirectory(String path) {
    try {
      return Path.of(path).toRealPath();
    } catch (IOException e) {
      throw new IllegalArgumentException("layer source " + path + " does not exist", e);
    }
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }
}
