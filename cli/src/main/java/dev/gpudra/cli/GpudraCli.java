package dev.gpudra.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.PrintWriter;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code gpudra}: the one command for people operating the driver, also run as {@code kubectl
 * gpudra} (kubectl runs {@code kubectl-gpudra} from the PATH). Each subcommand is a class of this
 * package registered below; cluster commands talk to the cluster with the usual kubeconfig ({@code
 * KUBECONFIG}, else {@code ~/.kube/config}, else the in-cluster account), node commands read the
 * node's NVML library and sysfs.
 *
 * <p>Exit codes, shared by all subcommands: 0 success; 1 the operation failed (NVML failed, with
 * NVML's message; the claim does not exist; the API server failed); 2 the NVML library was not
 * found; 3 some GPUs could not be read (the inventory is still printed); 64 bad usage.
 */
@Command(
    name = "gpudra",
    mixinStandardHelpOptions = true,
    description = "Operate the gpudra GPU driver.",
    subcommands = {DiscoverCommand.class, ExplainCommand.class})
public final class GpudraCli {

  static final int EXIT_FAILED = 1;
  static final int EXIT_LIBRARY_NOT_FOUND = 2;
  static final int EXIT_SOME_GPUS_FAILED = 3;
  static final int EXIT_USAGE = 64;

  private final Supplier<KubernetesClient> clients;

  GpudraCli(Supplier<KubernetesClient> clients) {
    this.clients = clients;
  }

  Supplier<KubernetesClient> clients() {
    return clients;
  }

  public static void main(String[] args) {
    System.exit(
        run(
            () -> new KubernetesClientBuilder().build(),
            new PrintWriter(System.out, true, java.nio.charset.StandardCharsets.UTF_8),
            new PrintWriter(System.err, true, java.nio.charset.StandardCharsets.UTF_8),
            args));
  }

  /**
   * Runs a command line with the given client source (used only by cluster commands) and streams;
   * returns the exit code.
   */
  public static int run(
      Supplier<KubernetesClient> clients, PrintWriter out, PrintWriter err, String... args) {
    CommandLine commandLine = new CommandLine(new GpudraCli(clients));
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setExitCodeExceptionMapper(
        e -> e instanceof CommandLine.ParameterException ? EXIT_USAGE : EXIT_FAILED);
    commandLine.getCommandSpec().exitCodeOnInvalidInput(EXIT_USAGE);
    return commandLine.execute(args);
  }
}
