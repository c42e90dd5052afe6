package dev.gpudra.e2e.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The {@code gpudra} command (module cli, a runtime dependency of the harness) run as a user runs
 * it: a child JVM with the control plane's admin kubeconfig in {@code KUBECONFIG}, so what it
 * prints comes from the cluster's API server and nothing of the harness's JVM.
 */
public final class GpudraCli {

  /** The command's entry point. */
  public static final String MAIN = "dev.gpudra.cli.GpudraCli";

  private GpudraCli() {}

  /** {@code gpudra ARGS} against {@code plane}; fails unless it exits 0. */
  public static Command check(ControlPlane plane, Duration timeout, String... args) {
    return Command.check(
        timeout,
        Map.of("KUBECONFIG", plane.kubeconfig().toAbsolutePath().toString()),
        Stream.concat(
                Stream.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp",
                    // Under Surefire/Failsafe the JVM's own class path is only a booter jar.
                    System.getProperty(
                        "surefire.test.class.path", System.getProperty("java.class.path")),
                    MAIN),
                Stream.of(args))
            .toList());
  }
}
