package dev.gpudra.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.cdi.spec.CdiJson;
import dev.gpudra.cdi.spec.ContainerEdits;
import dev.gpudra.cdi.spec.DeviceNode;
import dev.gpudra.cdi.spec.Hook;
import dev.gpudra.cdi.spec.HookName;
import dev.gpudra.cdi.spec.Mount;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CommonEditsBuilderTest {
  private final CommonEditsBuilder builder =
      new CommonEditsBuilder(CommonEditsBuilder.DEFAULT_HOOK_PATH);

  @Test
  void commonEditsMatchGoldenFile() {
    ContainerEdits edits = builder.build(Fixtures.nodeFiles(), Fixtures.MAJORS);

    GoldenFiles.assertMatches("common-node.json", CdiJson.encodeValue(edits));
  }

  @Test
  void givesTheControlNodesEveryCudaProgramOpens() {
    ContainerEdits edits = builder.build(Fixtures.nodeFiles(), Fixtures.MAJORS);

    assertThat(edits.deviceNodes())
        .containsExactly(
            DeviceNode.charDevice("/dev/nvidiactl", 195, 255),
            DeviceNode.charDevice("/dev/nvidia-uvm", 508, 0),
            DeviceNode.charDevice("/dev/nvidia-uvm-tools", 508, 1));
  }

  @Test
  void addsModesetOnlyWhenTheNodeHasIt() {
    DriverFiles f = Fixtures.nodeFiles();
    DriverFiles withModeset =
        new DriverFiles(
            f.hostDriverRoot(),
            f.driverVersion(),
            f.libraries(),
            f.binaries(),
            f.firmware(),
            f.ipcSockets(),
            true);

    assertThat(builder.build(withModeset, Fixtures.MAJORS).deviceNodes())
        .contains(DeviceNode.charDevice("/dev/nvidia-modeset", 195, 254));
  }

  @Test
  void mountsDriverFilesReadOnlyFromTheHostDriverRoot() {
    DriverFiles f = Fixtures.nodeFiles();
    DriverFiles containerised =
        new DriverFiles(
            "/run/nvidia/driver",
            f.driverVersion(),
            f.libraries(),
            f.binaries(),
            f.firmware(),
            List.of(),
            false);

    List<Mount> mounts = builder.build(containerised, Fixtures.MAJORS).mounts();

    assertThat(mounts)
        .contains(
            Mount.bind(
                "/run/nvidia/driver/usr/lib/x86_64-linux-gnu/libcuda.so.580.95.05",
                "/usr/lib/x86_64-linux-gnu/libcuda.so.580.95.05",
                List.of("ro", "nosuid", "nodev", "bind")),
            Mount.bind(
                "/run/nvidia/driver/usr/bin/nvidia-smi",
                "/usr/bin/nvidia-smi",
                List.of("ro", "nosuid", "nodev", "bind")));
    assertThat(mounts).hasSize(f.libraries().size() + f.binaries().size() + f.firmware().size());
  }

  @Test
  void hooksLinkDevelopmentNamesEnableCompatAndRefreshTheLinkerCache() {
    ContainerEdits edits = builder.build(Fixtures.nodeFiles(), Fixtures.MAJORS);

    assertThat(edits.hooks()).extracting(Hook::hookName).containsOnly(HookName.CREATE_CONTAINER);
    assertThat(edits.hooks()).extracting(Hook::path).containsOnly("/usr/bin/nvidia-cdi-hook");
    assertThat(edits.hooks())
        .extracting(h -> h.args().get(1))
        .containsExactly("create-symlinks", "enable-cuda-compat", "update-ldcache");
    assertThat(edits.hooks().get(0).args())
        .contains("libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so")
        .contains("libnvidia-ml.so.1::/usr/lib/x86_64-linux-gnu/libnvidia-ml.so")
        .doesNotContain("libnvidia-gpucomp.so.1::/usr/lib/x86_64-linux-gnu/libnvidia-gpucomp.so");
    assertThat(edits.hooks().get(1).args())
        .containsExactly(
            "nvidia-cdi-hook", "enable-cuda-compat", "--host-driver-version=580.95.05");
    assertThat(edits.hooks().get(2).args())
        .containsExactly(
            "nvidia-cdi-hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu");
  }

  @Test
  void leavesOutHooksTheNodesToolkitLacks() {
    ContainerEdits edits =
        new CommonEditsBuilder(
                CommonEditsBuilder.DEFAULT_HOOK_PATH,
                EnumSet.of(DriverHook.CREATE_SYMLINKS, DriverHook.UPDATE_LDCACHE))
            .build(Fixtures.nodeFiles(), Fixtures.MAJORS);

    assertThat(edits.hooks())
        .extracting(h -> h.args().get(1))
        .containsExactly("create-symlinks", "update-ldcache");
  }

  @Test
  void aNodeWithoutDriverLibrariesGetsNoHooks() {
    DriverFiles f = Fixtures.nodeFiles();
    DriverFiles noLibs =
        new DriverFiles(
            "/", f.driverVersion(), List.of(), f.binaries(), f.firmware(), f.ipcSockets(), false);

    assertThat(builder.build(noLibs, Fixtures.MAJORS).hooks()).isEmpty();
  }

  @Test
  void tellsAnNvidiaRuntimeHookToAddNoGpusOfItsOwn() {
    assertThat(builder.build(Fixtures.nodeFiles(), Fixtures.MAJORS).env())
        .containsExactly("NVIDIA_VISIBLE_DEVICES=void");
  }

  @Test
  void aNodeWithoutTheHookProgramGetsNoHooksButEverythingElse() {
    ContainerEdits with = builder.build(Fixtures.nodeFiles(), Fixtures.MAJORS);

    ContainerEdits without =
        CommonEditsBuilder.forHookPath(Optional.empty())
            .build(Fixtures.nodeFiles(), Fixtures.MAJORS);

    assertThat(without.hooks()).isEmpty();
    assertThat(without.deviceNodes()).isEqualTo(with.deviceNodes());
    assertThat(without.mounts()).isEqualTo(with.mounts());
    assertThat(without.env()).isEqualTo(with.env());
    assertThat(CdiJson.encodeValue(without)).doesNotContain("nvidia-cdi-hook");
  }

  @Test
  void hooksRunTheProgramWhereTheNodesToolkitInstalledIt() {
    String toolkit = "/usr/local/nvidia/toolkit/nvidia-cdi-hook";

    ContainerEdits edits =
        CommonEditsBuilder.forHookPath(Optional.of(toolkit))
            .build(Fixtures.nodeFiles(), Fixtures.MAJORS);

    assertThat(edits.hooks())
        .hasSize(3)
        .allSatisfy(
            h -> {
              assertThat(h.path()).isEqualTo(toolkit);
              assertThat(h.args().get(0)).isEqualTo("nvidia-cdi-hook");
            });
  }

  @Test
  void rejectsARelativeHookPath() {
    assertThatThrownBy(() -> new CommonEditsBuilder("nvidia-cdi-hook"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hook path");
  }
}
