package dev.gpudra.e2e.footprint;

import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.monitoring.DriverControllerProcess;
import dev.gpudra.e2e.scale.BareInformersProcess;
import dev.gpudra.e2e.scale.Convergence;
import dev.gpudra.e2e.scale.JvmFootprint;
import dev.gpudra.e2e.scale.ScalePlan;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The driver controller next to its baseline, bare fabric8 informers ({@link
 * dev.gpudra.e2e.scale.BareInformers}), on a loaded control plane ({@link ScalePlan}): each JVM
 * started in turn, the baseline measured {@link Setting#quiet} after it has synced, the controller
 * the same time after its {@code /metrics} show the plan's every claim and device.
 */
final class ControllerFootprint {

  private static final Duration TIMEOUT = Duration.ofMinutes(10);

  private ControllerFootprint() {}

  /**
   * One way of running both programs.
   *
   * @param name names the runs' logs and Lease namespaces
   * @param javaHome the Java runtime of both
   * @param bareClassPath the baseline's class path
   * @param bareOptions the baseline's JVM options
   * @param controllerClassPath the controller's class path
   * @param controllerOptions the controller's JVM options
   * @param controllerEnv the controller's environment beyond {@link DriverControllerProcess}'s
   * @param quiet how long after synced / converged each is measured
   */
  record Setting(
      String name,
      Path javaHome,
      String bareClassPath,
      List<String> bareOptions,
      String controllerClassPath,
      List<String> controllerOptions,
      Map<String, String> controllerEnv,
      Duration quiet) {}

  /** One measurement of the baseline and the controller, one after the other. */
  record Pair(JvmFootprint bare, JvmFootprint controller) {
    double residentRatio() {
      return (double) controller.residentBytes() / bare.residentBytes();
    }
  }

  /**
   * Measures {@code runs} pairs in {@code setting}; the baseline connects with {@code connection}
   * (the client's configuration, as in a pod).
   */
  static List<Pair> measure(
      ControlPlane plane, ScalePlan plan, Map<String, String> connection, Setting setting, int runs)
      throws InterruptedException {
    List<Pair> pairs = new ArrayList<>();
    for (int run = 1; run <= runs; run++) {
      String name = setting.name() + (runs > 1 ? "-" + run : "");
      JvmFootprint bare =
          BareInformersProcess.measure(
              BareInformersProcess.BASELINE,
              setting.javaHome(),
              setting.bareClassPath(),
              setting.bareOptions(),
              connection,
              plane.workDir().resolve("bare-informers-" + name + ".log"),
              TIMEOUT,
              setting.quiet());
      pairs.add(new Pair(bare, controller(plane, plan, "fp-controller-" + name, setting)));
    }
    return pairs;
  }

  /** The pair of median resident memory ratio (the lower one of an even count). */
  static Pair median(List<Pair> pairs) {
    List<Pair> byRatio =
        pairs.stream().sorted(Comparator.comparingDouble(Pair::residentRatio)).toList();
    return byRatio.get((byRatio.size() - 1) / 2);
  }

  private static JvmFootprint controller(
      ControlPlane plane, ScalePlan plan, String leaseNamespace, Setting setting)
      throws InterruptedException {
    Namespaces.create(plane.client(), leaseNamespace);
    long start = System.nanoTime();
    try (DriverControllerProcess controller =
        DriverControllerProcess.start(
            plane,
            leaseNamespace,
            setting.javaHome(),
            setting.controllerClassPath(),
            setting.controllerOptions(),
            setting.controllerEnv())) {
      Duration converged =
          new Convergence(controller, plan).await(plan.expected(false), start, TIMEOUT);
      Thread.sleep(setting.quiet().toMillis());
      return JvmFootprint.of(controller.pid(), converged);
    }
  }
}
