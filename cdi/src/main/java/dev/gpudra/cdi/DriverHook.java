package dev.gpudra.cdi;

/**
 * The {@code nvidia-cdi-hook} commands the common edits may run in a new container.
 *
 * <p>Each can be turned off for nodes whose container toolkit lacks it: a runtime fails to create
 * the container when a hook command is unknown ({@code enable-cuda-compat} needs toolkit 1.17.5 or
 * newer).
 */
public enum DriverHook {
  /** Creates the unversioned {@code libX.so} links of libraries opened by that name. */
  CREATE_SYMLINKS("create-symlinks"),
  /** Uses a CUDA forward-compatibility package in the image only if newer than the host driver. */
  ENABLE_CUDA_COMPAT("enable-cuda-compat"),
  /** Runs ldconfig over the mounted library folders, which also creates the SONAME links. */
  UPDATE_LDCACHE("update-ldcache");

  private final String command;

  DriverHook(String command) {
    this.command = command;
  }

  /** The sub-command of {@code nvidia-cdi-hook}. */
  public String command() {
    return command;
  }
}
