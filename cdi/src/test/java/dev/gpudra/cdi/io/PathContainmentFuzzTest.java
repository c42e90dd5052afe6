package dev.gpudra.cdi.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.cdi.ClaimSpec;
import dev.gpudra.cdi.ClaimSpecBuilder;
import dev.gpudra.cdi.Fixtures;
import dev.gpudra.cdi.PreparedDevice;
import dev.gpudra.cdi.Sharing;
import dev.gpudra.cdi.spec.CdiDevice;
import dev.gpudra.cdi.spec.ContainerEdits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Seeded random inputs (hostile strings, near-miss UUIDs, valid names) through the claim builder
 * and the writer's path resolution: whatever is accepted, no generated path leaves the CDI root,
 * and only well-formed names are accepted. Pure: paths are resolved, never touched.
 */
class PathContainmentFuzzTest {
  private static final long SEED = 0x6770_7564_7261L;
  private static final int ROUNDS = 20_000;
  private static final String HOSTILE = "0123456789abcdefABCDEFxyz-./\\_:=%~ \u0000\n\té\u2215";
  private static final Path ROOT = Path.of("/var/run/cdi");

  private final ClaimSpecBuilder builder = Fixtures.builder();
  private final CdiSpecWriter writer = new CdiSpecWriter(ROOT);

  @Test
  void noAcceptedClaimEverProducesAPathOutsideTheCdiRoot() {
    Random random = new Random(SEED);
    int accepted = 0;
    int rejected = 0;
    for (int i = 0; i < ROUNDS; i++) {
      String uid = claimUid(random);
      String deviceName = deviceName(random);
      ClaimSpec spec;
      try {
        spec =
            builder.build(
                uid,
                List.of(
                    new PreparedDevice.FullGpu(
                        deviceName, random.nextInt(8), Fixtures.A100_UUID, Sharing.exclusive())));
      } catch (IllegalArgumentException e) {
        rejected++;
        assertThat(isUuid(uid) && isDnsLabel(deviceName))
            .as("rejected valid uid %s / device %s: %s", uid, deviceName, e.getMessage())
            .isFalse();
        continue;
      }
      accepted++;
      assertThat(isUuid(uid) && isDnsLabel(deviceName))
          .as("accepted uid %s / device %s", uid, deviceName)
          .isTrue();
      Path file = writer.specPath(uid);
      assertThat(file.getParent()).isEqualTo(ROOT);
      assertThat(ROOT.resolve(spec.fileName()).normalize()).isEqualTo(file);
      assertThat(file.getFileName().toString()).isEqualTo(spec.fileName());
      allPaths(spec).forEach(PathContainmentFuzzTest::assertPlainAbsolute);
    }
    System.out.printf(
        "path fuzz: %d claims tried (seed %d), %d accepted, %d rejected; every spec file stayed"
            + " in %s%n",
        ROUNDS, SEED, accepted, rejected, ROOT);
    // Both outcomes must actually occur, or the generator is not testing anything.
    assertThat(accepted).isGreaterThan(ROUNDS / 10);
    assertThat(rejected).isGreaterThan(ROUNDS / 10);
  }

  @Test
  void mpsDirectoriesAreAcceptedOnlyWhenPlainAbsolute() {
    Random random = new Random(SEED + 1);
    int accepted = 0;
    for (int i = 0; i < ROUNDS; i++) {
      String dir = hostilePath(random);
      Sharing.Mps mps;
      try {
        mps = new Sharing.Mps(dir, "/dev/shm-host", null);
      } catch (IllegalArgumentException e) {
        assertThat(isPlainAbsolute(dir)).as("rejected %s", dir).isFalse();
        continue;
      }
      accepted++;
      assertThat(isPlainAbsolute(dir)).as("accepted %s", dir).isTrue();
      ClaimSpec spec =
          builder.build(
              Fixtures.A100_FULL_CLAIM,
              List.of(new PreparedDevice.FullGpu("gpu-0", 0, Fixtures.A100_UUID, mps)));
      allPaths(spec).forEach(PathContainmentFuzzTest::assertPlainAbsolute);
    }
    System.out.printf("MPS directory fuzz: %d paths tried, %d accepted%n", ROUNDS, accepted);
    assertThat(accepted).isPositive();
  }

  private static Stream<String> allPaths(ClaimSpec spec) {
    List<ContainerEdits> edits = new ArrayList<>();
    edits.add(spec.spec().containerEdits());
    spec.spec().devices().stream().map(CdiDevice::containerEdits).forEach(edits::add);
    return edits.stream()
        .flatMap(
            e ->
                Stream.of(
                        e.deviceNodes().stream().map(n -> n.path()),
                        e.mounts().stream().map(m -> m.hostPath()),
                        e.mounts().stream().map(m -> m.containerPath()),
                        e.hooks().stream().map(h -> h.path()))
                    .flatMap(s -> s));
  }

  private static void assertPlainAbsolute(String path) {
    assertThat(isPlainAbsolute(path)).as("path %s is plain and absolute", path).isTrue();
  }

  // Oracles written independently of the production checks.

  private static boolean isPlainAbsolute(String p) {
    if (!p.startsWith("/") || p.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      return false;
    }
    if (p.equals("/")) {
      return true;
    }
    boolean normal = Path.of(p).normalize().toString().equals(p);
    boolean noDotSegments =
        !p.contains("/../") && !p.endsWith("/..") && !p.contains("/./") && !p.endsWith("/.");
    return normal && noDotSegments && !p.endsWith("/") && !p.contains("//");
  }

  private static boolean isUuid(String s) {
    if (s.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? c != '-' : Character.digit(c, 16) < 0 || c > 'f') {
        return false;
      }
    }
    return true;
  }

  private static boolean isDnsLabel(String s) {
    if (s.isEmpty() || s.length() > 63 || s.startsWith("-") || s.endsWith("-")) {
      return false;
    }
    return s.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  }

  private static String claimUid(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> new UUID(r.nextLong(), r.nextLong()).toString();
      case 1 -> new UUID(r.nextLong(), r.nextLong()).toString().toUpperCase(java.util.Locale.ROOT);
      case 2 -> mutate(r, new UUID(r.nextLong(), r.nextLong()).toString());
      default -> hostile(r, 60);
    };
  }

  private static String deviceName(Random r) {
    return switch (r.nextInt(3)) {
      case 0 -> "gpu-" + r.nextInt(16);
      case 1 -> mutate(r, "gpu-" + r.nextInt(8) + "-mig-1g10gb-19-" + r.nextInt(7));
      default -> hostile(r, 70);
    };
  }

  private static String hostilePath(Random r) {
    StringBuilder b = new StringBuilder();
    int segments = r.nextInt(5);
    for (int i = 0; i < segments; i++) {
      b.append(
          switch (r.nextInt(6)) {
            case 0 -> "/..";
            case 1 -> "/.";
            case 2 -> "/";
            default -> "/" + hostile(r, 8).replace("/", "");
          });
    }
    return r.nextInt(10) == 0 ? b.substring(Math.min(1, b.length())) : b.toString();
  }

  private static String mutate(Random r, String s) {
    StringBuilder b = new StringBuilder(s);
    int edits = 1 + r.nextInt(3);
    for (int i = 0; i < edits; i++) {
      int at = b.isEmpty() ? 0 : r.nextInt(b.length());
      switch (r.nextInt(4)) {
        case 0 -> b.insert(at, "../");
        case 1 -> b.setCharAt(Math.min(at, Math.max(0, b.length() - 1)), randomChar(r));
        case 2 -> {
          if (!b.isEmpty()) {
            b.deleteCharAt(at);
          }
        }
        default -> b.insert(at, randomChar(r));
      }
    }
    return b.toString();
  }

  private static String hostile(Random r, int maxLength) {
    int length = r.nextInt(maxLength + 1);
    StringBuilder b = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      b.append(randomChar(r));
    }
    return b.toString();
  }

  private static char randomChar(Random r) {
    return HOSTILE.charAt(r.nextInt(HOSTILE.length()));
  }
}
