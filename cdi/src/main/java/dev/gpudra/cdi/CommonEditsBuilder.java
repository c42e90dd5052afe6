package dev.gpudra.cdi;

import dev.gpudra.cdi.spec.ContainerEdits;
import dev.gpudra.cdi.spec.ContainerPaths;
import dev.gpudra.cdi.spec.DeviceNode;
import dev.gpudra.cdi.spec.Hook;
import dev.gpudra.cdi.spec.HookName;
import dev.gpudra.cdi.spec.Mount;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Builds the node-wide container edits every GPU container needs, whatever its devices. Pure and
 * thread-safe.
 *
 * <p>In substance what NVIDIA's container toolkit generates for a node:
 *
 * <ul>
 *   <li>{@code NVIDIA_VISIBLE_DEVICES=void}, so that an NVIDIA runtime hook, if installed, does not
 *       add GPUs of its own on top of the claim's;
 *   <li>control device nodes {@code /dev/nvidiactl}, {@code /dev/nvidia-uvm}, {@code
 *       /dev/nvidia-uvm-tools}, and {@code /dev/nvidia-modeset} when the node has it, fully
 *       specified (type, major, minor);
 *   <li>read-only bind mounts of the driver libraries, utilities, GSP firmware and daemon sockets;
 *   <li>{@code createContainer} hooks run by {@code nvidia-cdi-hook}: {@code create-symlinks} for
 *       the unversioned development names of libraries programs open as {@code libX.so}, {@code
 *       enable-cuda-compat} with the host driver version (so a newer CUDA forward-compat package in
 *       the image is used only when it is newer than the host driver), and {@code update-ldcache}
 *       over the library folders (which also creates the {@code libX.so.1} SONAME links).
 * </ul>
 *
 * <p>The hooks name a program on the host, which the container runtime runs; where it does not
 * exist, every GPU container fails to start. Nodes without the toolkit (fake-GPU nodes, or a
 * toolkit installed elsewhere than configured) therefore build with {@link #withoutHooks()} or
 * their own hook path ({@link #forHookPath(Optional)}).
 */
public final class CommonEditsBuilder {
  /** Default location of the toolkit's hook binary on the host. */
  public static final String DEFAULT_HOOK_PATH = "/usr/bin/nvidia-cdi-hook";

  /** Mount options for daemon sockets: read-only suffices to connect(2) to a socket. */
  static final List<String> SOCKET_OPTIONS = List.of("ro", "nosuid", "nodev", "noexec", "bind");

  // Libraries whose SONAME is libX.so.1 and which programs or build tools also open as libX.so.
  private static final List<String> DEV_SYMLINK_LIBRARIES =
      List.of(
          "libcuda",
          "libcudadebugger",
          "libnvidia-cfg",
          "libnvidia-encode",
          "libnvidia-ml",
          "libnvidia-opticalflow",
          "libnvidia-ptxjitcompiler",
          "libnvcuvid");

  private static final int NVIDIACTL_MINOR = 255;
  private static final int MODESET_MINOR = 254;

  // Empty: the edits carry no hooks at all.
  private final Optional<String> hookPath;
  private final Set<DriverHook> enabledHooks;

  /**
   * @param hookPath absolute path of {@code nvidia-cdi-hook} on the host
   * @param enabledHooks the hook commands to emit
   */
  public CommonEditsBuilder(String hookPath, Set<DriverHook> enabledHooks) {
    this(Optional.of(ContainerPaths.requireAbsolute(hookPath, "hook path")), enabledHooks);
  }

  private CommonEditsBuilder(Optional<String> hookPath, Set<DriverHook> enabledHooks) {
    this.hookPath = hookPath;
    this.enabledHooks =
        enabledHooks.isEmpty() ? EnumSet.noneOf(DriverHook.class) : EnumSet.copyOf(enabledHooks);
  }

  /**
   * Emits no hooks: containers get the driver's files and device nodes, but no SONAME links, no ld
   * cache entries and no CUDA compat selection. For nodes without {@code nvidia-cdi-hook}.
   */
  public static CommonEditsBuilder withoutHooks() {
    return new CommonEditsBuilder(Optional.empty(), EnumSet.noneOf(DriverHook.class));
  }

  /**
   * Every hook run by the program at {@code hookPath}, or none when it is empty.
   *
   * @param hookPath absolute path of {@code nvidia-cdi-hook} on the host, or empty
   */
  public static CommonEditsBuilder forHookPath(Optional<String> hookPath) {
    return hookPath.map(CommonEditsBuilder::new).orElseGet(CommonEditsBuilder::withoutHooks);
  }

  /**
   * Emits every hook.
   *
   * @param hookPath absolute path of {@code nvidia-cdi-hook} on the host
   */
  public CommonEditsBuilder(String hookPath) {
    this(hookPath, EnumSet.allOf(DriverHook.class));
  }

  /** The common edits for a node whose driver files and majors are given. */
  public ContainerEdits build(DriverFiles files, DeviceMajors majors) {
    List<DeviceNode> nodes = new ArrayList<>();
    nodes.add(DeviceNode.charDevice("/dev/nvidiactl", majors.nvidia(), NVIDIACTL_MINOR));
    nodes.add(DeviceNode.charDevice("/dev/nvidia-uvm", majors.nvidiaUvm(), 0));
    nodes.add(DeviceNode.charDevice("/dev/nvidia-uvm-tools", majors.nvidiaUvm(), 1));
    if (files.modesetPresent()) {
      nodes.add(DeviceNode.charDevice("/dev/nvidia-modeset", majors.nvidia(), MODESET_MINOR));
    }

    List<Mount> mounts = new ArrayList<>();
    String root = files.hostDriverRoot();
    for (List<String> group : List.of(files.libraries(), files.binaries(), files.firmware())) {
      for (String path : group) {
        mounts.add(Mount.bind(ContainerPaths.join(root, path), path, Mount.READ_ONLY_BIND));
      }
    }
    for (String socket : files.ipcSockets()) {
      mounts.add(Mount.bind(ContainerPaths.join(root, socket), socket, SOCKET_OPTIONS));
    }

    return new ContainerEdits(
        List.of("NVIDIA_VISIBLE_DEVICES=void"), nodes, hooks(files), mounts, List.of());
  }

  private List<Hook> hooks(DriverFiles files) {
    if (hookPath.isEmpty() || files.libraries().isEmpty()) {
      return List.of();
    }
    List<Hook> hooks = new ArrayList<>();
    List<String> links = new ArrayList<>();
    String versionSuffix = ".so." + files.driverVersion();
    for (String library : files.libraries()) {
      String file = library.substring(library.lastIndexOf('/') + 1);
      String dirPrefix = library.substring(0, library.lastIndexOf('/') + 1);
      for (String stem : DEV_SYMLINK_LIBRARIES) {
        if (file.equals(stem + versionSuffix)) {
          links.add("--link");
          links.add(stem + ".so.1::" + dirPrefix + stem + ".so");
        }
      }
    }
    if (!links.isEmpty() && enabledHooks.contains(DriverHook.CREATE_SYMLINKS)) {
      hooks.add(hook(DriverHook.CREATE_SYMLINKS, links));
    }
    if (enabledHooks.contains(DriverHook.ENABLE_CUDA_COMPAT)) {
      hooks.add(
          hook(
              DriverHook.ENABLE_CUDA_COMPAT,
              List.of("--host-driver-version=" + files.driverVersion())));
    }
    Set<String> folders = new LinkedHashSet<>();
    files.libraries().forEach(l -> folders.add(parent(l)));
    List<String> folderArgs = new ArrayList<>();
    for (String folder : folders) {
      folderArgs.add("--folder");
      folderArgs.add(folder);
    }
    if (enabledHooks.contains(DriverHook.UPDATE_LDCACHE)) {
      hooks.add(hook(DriverHook.UPDATE_LDCACHE, folderArgs));
    }
    return hooks;
  }

  private Hook hook(DriverHook command, List<String> args) {
    String path = hookPath.orElseThrow();
    List<String> argv = new ArrayList<>();
    argv.add(path.substring(path.lastIndexOf('/') + 1));
    argv.add(command.command());
    argv.addAll(args);
    return new Hook(HookName.CREATE_CONTAINER, path, argv, List.of(), null);
  }

  private static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash == 0 ? "/" : path.substring(0, slash);
  }
}
