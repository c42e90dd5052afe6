package dev.gpudra.e2e.scale;

import dev.gpudra.e2e.cluster.ComponentProcess;
import dev.gpudra.e2e.cluster.ControlPlane;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs {@link BareInformers}, the benchmarks' baseline, in a JVM of its own with the given options
 * against a control plane, and measures it once it has synced; or another {@link Program} once it
 * is ready.
 */
public final class BareInformersProcess {

  private BareInformersProcess() {}

  /**
   * Starts the baseline with {@code jvmOptions}, waits until it has synced (at most {@code
   * timeout}), measures it and stops it. It reads the control plane's kubeconfig.
   *
   * @param log where its output goes
   */
  public static JvmFootprint measure(
      ControlPlane plane, List<String> jvmOptions, Path log, Duration timeout)
      throws InterruptedException {
    return measure(
        BASELINE,
        Path.of(System.getProperty("java.home")),
        System.getProperty("java.class.path"),
        jvmOptions,
        Map.of("KUBECONFIG", plane.kubeconfig().toString()),
        log,
        timeout,
        Duration.ZERO);
  }

  /**
   * A program a benchmark measures next to the baseline: its main class and arguments, and the
   * start of the line it prints once it is ready to be measured (and then keeps running).
   */
  public record Program(String name, Class<?> mainClass, List<String> args, String ready) {}

  /** {@link BareInformers}, ready once every informer has synced. */
  public static final Program BASELINE =
      new Program("bare-informers", BareInformers.class, List.of(), BareInformers.SYNCED);

  /**
   * Like {@link #measure(ControlPlane, List, Path, Duration)}, for {@code program} ({@link
   * #BASELINE} or another) on the Java runtime {@code javaHome} with {@code classPath} (which must
   * hold its class and the fabric8 client) in place of this JVM's, with {@code env} (the client's
   * configuration) in place of the kubeconfig: waits for its ready line and measures it {@code
   * quiet} after that line (its time is still the time to that line).
   */
  public static JvmFootprint measure(
      Program program,
      Path javaHome,
      String classPath,
      List<String> jvmOptions,
      Map<String, String> env,
      Path log,
      Duration timeout,
      Duration quiet)
      throws InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(javaHome.resolve("bin/java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(classPath);
    command.add(program.mainClass().getName());
    command.addAll(program.args());
    long start = System.nanoTime();
    try (ComponentProcess process = ComponentProcess.start(program.name(), command, log, env)) {
      long deadline = start + timeout.toNanos();
      while (!printed(log, program.ready())) {
        process.requireAlive();
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(program.name() + " not ready:\n" + process.tail(40));
        }
        Thread.sleep(50);
      }
      Duration time = Duration.ofNanos(System.nanoTime() - start);
      System.out.println("[bench] " + process.tail(1));
      Thread.sleep(quiet.toMillis());
      process.requireAlive();
      return JvmFootprint.of(process.pid(), time);
    }
  }

  private static boolean printed(Path log, String ready) {
    try {
      return Files.exists(log)
          && Files.readAllLines(log).stream().anyMatch(l -> l.startsWith(ready));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
