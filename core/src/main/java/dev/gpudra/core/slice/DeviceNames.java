package dev.gpudra.core.slice;

import dev.gpudra.core.device.MigPlacement;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of devices in ResourceSlices. A name alone identifies the hardware: {@code gpu-<minor>} for
 * a full GPU and {@code gpu-<minor>-mig-<profile>-<profileId>-<placementStart>} for a MIG device,
 * so a claim's allocated device name can be turned back into a MIG placement without any other
 * state. Names are DNS labels (no dots), as the API requires.
 */
public final class DeviceNames {

  private static final Pattern MIG =
      Pattern.compile(
          "gpu-(\\d+)-mig-([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-(\\d+)-(\\d+)(?:-c(\\d+))?");
  private static final Pattern GPU = Pattern.compile("gpu-(\\d+)");

  private DeviceNames() {}

  /** {@code gpu-<minor>}. */
  public static String gpu(int minor) {
    return "gpu-" + minor;
  }

  /**
   * {@code gpu-<minor>-mig-<profile>-<profileId>-<start>}, with the profile name made a DNS label
   * ({@code 1g.10gb+me} becomes {@code 1g10gb-me}).
   */
  public static String mig(int parentMinor, String profileName, int profileId, int start) {
    return "gpu-"
        + parentMinor
        + "-mig-"
        + profileLabel(profileName)
        + "-"
        + profileId
        + "-"
        + start;
  }

  /**
   * The name of one compute instance of a GPU instance that is split into several: {@link #mig}
   * followed by {@code -c<computeInstanceId>}.
   */
  public static String migComputeInstance(
      int parentMinor, String profileName, int profileId, int start, int computeInstanceId) {
    return mig(parentMinor, profileName, profileId, start) + "-c" + computeInstanceId;
  }

  /** A MIG profile name as a DNS-label fragment: lower case, dots dropped, others become '-'. */
  public static String profileLabel(String profileName) {
    String label =
        profileName
            .toLowerCase(Locale.ROOT)
            .replace(".", "")
            .replaceAll("[^a-z0-9]+", "-")
            .replaceAll("^-+|-+$", "");
    if (label.isEmpty()) {
      throw new IllegalArgumentException(
          "MIG profile name has no usable characters: " + profileName);
    }
    return label;
  }

  /** What a device name says about the hardware. */
  public sealed interface Parsed permits Parsed.FullGpu, Parsed.Mig {

    /** Minor number of the (parent) GPU. */
    int minor();

    /** A full GPU. */
    record FullGpu(int minor) implements Parsed {}

    /**
     * A MIG device: its parent, profile id and placement start, and the compute instance when its
     * GPU instance is split into several.
     */
    record Mig(
        int minor,
        String profileLabel,
        int profileId,
        int placementStart,
        OptionalInt computeInstanceId)
        implements Parsed {

      /** A MIG device filling its whole GPU instance. */
      public Mig(int minor, String profileLabel, int profileId, int placementStart) {
        this(minor, profileLabel, profileId, placementStart, OptionalInt.empty());
      }
    }
  }

  /** Parses a name made by {@link #gpu} or {@link #mig}; empty for anything else. */
  public static Optional<Parsed> parse(String name) {
    Matcher mig = MIG.matcher(name);
    if (mig.matches()) {
      return Optional.of(
          new Parsed.Mig(
              Integer.parseInt(mig.group(1)),
              mig.group(2),
              Integer.parseInt(mig.group(3)),
              Integer.parseInt(mig.group(4)),
              mig.group(5) == null
                  ? OptionalInt.empty()
                  : OptionalInt.of(Integer.parseInt(mig.group(5)))));
    }
    Matcher gpu = GPU.matcher(name);
    if (gpu.matches()) {
      return Optional.of(new Parsed.FullGpu(Integer.parseInt(gpu.group(1))));
    }
    return Optional.empty();
  }

  /** The placement a MIG device name stands for, given the profile's placement size. */
  public static MigPlacement placement(Parsed.Mig mig, int size) {
    return new MigPlacement(mig.placementStart(), size);
  }
}
