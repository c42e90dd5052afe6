package dev.gpudra.nvml.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code gpudra-nvml}: an admin's view of what the driver sees on a node through NVML.
 *
 * <p>Exit codes: 0 success; 1 NVML failed (the message is NVML's); 2 the library was not found; 3
 * some GPUs could not be read (the inventory is still printed); 64 bad usage.
 */
@Command(
    name = "gpudra-nvml",
    mixinStandardHelpOptions = true,
    description = "Inspect the node's NVIDIA GPUs the way the gpudra kubelet plugin does.",
    subcommands = {DiscoverCommand.class})
public final class NvmlCli {

  static final int EXIT_NVML_FAILED = 1;
  static final int EXIT_LIBRARY_NOT_FOUND = 2;
  static final int EXIT_SOME_GPUS_FAILED = 3;
  static final int EXIT_USAGE = 64;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (for tests and {@link #main}). */
  public static int run(String... args) {
    CommandLine commandLine = new CommandLine(new NvmlCli());
    commandLine.setExitCodeExceptionMapper(
        e -> e instanceof CommandLine.ParameterException ? EXIT_USAGE : EXIT_NVML_FAILED);
    commandLine.getCommandSpec().exitCodeOnInvalidInput(EXIT_USAGE);
    return commandLine.execute(args);
  }
}
