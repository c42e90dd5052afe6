package dev.gpudra.cdi;

import dev.gpudra.testkit.node.FakeDriverRoot;
import java.util.List;

/** Realistic nodes and claims shared by the builder, discovery and reference-CDI tests. */
public final class Fixtures {
  private Fixtures() {}

  public static final String DRIVER_VERSION = "580.95.05";

  /** nvidia 195 as always; uvm and caps as a 6.x kernel numbers dynamic majors. */
  public static final DeviceMajors MAJORS = new DeviceMajors(195, 508, 511);

  public static final String LIB_DIR = FakeDriverRoot.LIB_DIR;

  /** Library stems a 580 data-centre driver installs with the version suffix. */
  public static final List<String> LIBRARY_STEMS =
      List.of(
          "libcuda",
          "libcudadebugger",
          "libnvidia-allocator",
          "libnvidia-cfg",
          "libnvidia-gpucomp",
          "libnvidia-ml",
          "libnvidia-nvvm",
          "libnvidia-opencl",
          "libnvidia-pkcs11-openssl3",
          "libnvidia-ptxjitcompiler");

  public static final List<String> FIRMWARE =
      List.of(
          "/lib/firmware/nvidia/" + DRIVER_VERSION + "/gsp_ga10x.bin",
          "/lib/firmware/nvidia/" + DRIVER_VERSION + "/gsp_tu10x.bin");

  public static final List<String> BINARIES =
      List.of(
          "/usr/bin/nvidia-smi",
          "/usr/bin/nvidia-debugdump",
          "/usr/bin/nvidia-persistenced",
          "/usr/bin/nvidia-cuda-mps-control",
          "/usr/bin/nvidia-cuda-mps-server");

  public static final List<String> SOCKETS = List.of("/run/nvidia-persistenced/socket");

  public static List<String> libraries() {
    return FakeDriverRoot.libraries(DRIVER_VERSION, LIBRARY_STEMS);
  }

  /** A data-centre node (no modeset) with the driver installed on the host itself. */
  public static DriverFiles nodeFiles() {
    return new DriverFiles("/", DRIVER_VERSION, libraries(), BINARIES, FIRMWARE, SOCKETS, false);
  }

  /** The mig-minors content the driver writes for {@code gpus} GPUs. */
  public static String migMinorsFile(int gpus) {
    return FakeDriverRoot.migMinors(gpus);
  }

  public static final String PROC_DEVICES = FakeDriverRoot.PROC_DEVICES;

  // Claims: one UID starting with a digit and one with a letter, because the minimum CDI version
  // depends on it.

  public static final String A100_FULL_CLAIM = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
  public static final String A100_MIG_CLAIM = "c3a1b2d4-e5f6-4a7b-9c8d-1e2f3a4b5c6d";
  public static final String H100_PAIR_CLAIM = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";

  public static final String A100_UUID = "GPU-3c7c1a4e-8b2f-4f61-9a0d-5e2b7c9d1f30";
  public static final String A100_MIG_UUID = "MIG-7d2e9f1a-3b4c-5d6e-8f90-a1b2c3d4e5f6";
  public static final String H100_UUID_0 = "GPU-a1b2c3d4-1111-4222-8333-444455556666";
  public static final String H100_UUID_1 = "GPU-b2c3d4e5-2222-4333-9444-555566667777";

  public static PreparedDevice.FullGpu a100Full() {
    return new PreparedDevice.FullGpu("gpu-0", 0, A100_UUID, Sharing.exclusive());
  }

  /** 1g.10gb (GI profile 19) at placement 0 of GPU 0, created as GPU instance 7. */
  public static PreparedDevice.MigDevice a100Mig1g10gb() {
    MigMinors minors = MigMinors.parse(migMinorsFile(1));
    return new PreparedDevice.MigDevice(
        "gpu-0-mig-1g10gb-19-0",
        0,
        A100_UUID,
        A100_MIG_UUID,
        7,
        0,
        minors.gpuInstance(0, 7).orElseThrow(),
        minors.computeInstance(0, 7, 0).orElseThrow(),
        Sharing.exclusive());
  }

  public static Sharing.Mps h100Mps() {
    return new Sharing.Mps(
        "/var/lib/gpudra/mps/" + H100_PAIR_CLAIM + "/pipe",
        "/var/lib/gpudra/mps/" + H100_PAIR_CLAIM + "/shm",
        50);
  }

  public static List<PreparedDevice> h100Pair() {
    return List.of(
        new PreparedDevice.FullGpu("gpu-0", 0, H100_UUID_0, h100Mps()),
        new PreparedDevice.FullGpu("gpu-1", 1, H100_UUID_1, h100Mps()));
  }

  public static ClaimSpecBuilder builder() {
    return new ClaimSpecBuilder(
        MAJORS,
        new CommonEditsBuilder(CommonEditsBuilder.DEFAULT_HOOK_PATH).build(nodeFiles(), MAJORS));
  }
}
