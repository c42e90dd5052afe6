package dev.gpudra.e2e.footprint;

import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.e2e.chart.ChartDeviceClasses;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.E2eBinaries;
import dev.gpudra.e2e.cluster.Namespaces;
import dev.gpudra.e2e.monitoring.DriverControllerProcess;
import dev.gpudra.e2e.nodes.MockNodeDiscovery;
import dev.gpudra.e2e.realnode.DriverRelease;
import dev.gpudra.e2e.scale.BareInformers;
import dev.gpudra.e2e.scale.BareInformersProcess;
import dev.gpudra.e2e.scale.Convergence;
import dev.gpudra.e2e.scale.JvmFootprint;
import dev.gpudra.e2e.scale.ScaleLoader;
import dev.gpudra.e2e.scale.ScalePlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The memory and start-up footprint of both programs, on the real control plane of the e2e tests,
 * each JVM once with the JVM's defaults ("before") and once with the chart's JVM options ({@link
 * ChartJvmOptions}, "after"), all in one run:
 *
 * <ul>
 *   <li>the kubelet plugin on a fake 8x A100 node ({@link PluginFootprint}), on the image's Java
 *       runtime and jars ({@link ShippedImage}): time from launching its JVM to registered with the
 *       (emulated) kubelet, resident memory, heap after a full GC and CPU time at steady state with
 *       slices published and a few claims prepared; "after" twice: with the chart's flags alone and
 *       with them and the AOT cache their options name, trained by a first run of the plugin on
 *       those jars as the image build trains it;
 *   <li>the driver controller with {@code nodes} nodes of 8 GPUs (the scale benchmark's slices,
 *       claims and pods, {@link ScalePlan}) next to a baseline of bare fabric8 informers on the
 *       same objects, each measured {@code steadySeconds} after its view has converged (synced);
 *       with the chart's options the pair is measured {@code controllerRuns} times, both also run
 *       with Native Memory Tracking, and the report shows the pair of median ratio in full, with
 *       where each one's memory is, category by category; then {@code controllerRuns} pairs more as
 *       the image ships the controller ("shipped"): on the image's runtime and jars, with the
 *       image's own AOT cache, paced as the chart paces it and measured a whole refresh interval
 *       after converged, next to the baseline on the same runtime with an AOT cache trained on a
 *       run of its own.
 * </ul>
 *
 * <p>A harness that prints a table; nothing is asserted. Goals (issue: footprint): plugin resident
 * memory at most 128 MiB, start to registered at most 2 s, controller resident memory at most 1.1x
 * the bare informers'. System properties (defaults): {@code gpudra.footprint.nodes} (1000), {@code
 * .claims} (1000, of the controller's load), {@code .pluginClaims} (4), {@code .steadySeconds}
 * (10), {@code .controllerRuns} (3).
 */
public final class FootprintBenchmark {

  private static final Duration TIMEOUT = Duration.ofMinutes(10);

  /** This JVM's runtime and class path, on which "before" and "flags" run. */
  private static final Path THIS_JAVA = Path.of(System.getProperty("java.home"));

  // Failsafe names the test class path here; java.class.path may be a manifest-only jar.
  private static final String THIS_CLASS_PATH =
      System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));

  private FootprintBenchmark() {}

  public static void main(String[] args) throws Exception {
    int nodes = Integer.getInteger("gpudra.footprint.nodes", 1000);
    int claims = Integer.getInteger("gpudra.footprint.claims", 1000);
    int pluginClaims = Integer.getInteger("gpudra.footprint.pluginClaims", 4);
    Duration steady = Duration.ofSeconds(Integer.getInteger("gpudra.footprint.steadySeconds", 10));
    int afterRuns = Integer.getInteger("gpudra.footprint.controllerRuns", 3);
    if (afterRuns < 1) {
      throw new IllegalArgumentException("gpudra.footprint.controllerRuns must be at least 1");
    }
    String stamp =
        LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path work = ControlPlane.workBase().resolve("footprint-" + stamp);
    List<String> report = new ArrayList<>();
    ShippedImage shipped = ShippedImage.locate(DriverRelease.imageTar());
    try (ControlPlane plane = ControlPlane.start(E2eBinaries.locate(), work)) {
      ChartDeviceClasses.apply(plane);
      ChartJvmOptions chart = ChartJvmOptions.render(plane);
      report.add(
          String.format(
              "gpudra footprint: %s; %d CPUs; Java %s",
              plane.binaryVersion(),
              Runtime.getRuntime().availableProcessors(),
              Runtime.version()));
      report.add("  before: the JVM's defaults (G1, heap up to 1/4 of RAM, C2)");
      report.add("  after, plugin:     " + String.join(" ", chart.plugin()));
      report.add("  after, controller: " + String.join(" ", chart.controller()));
      report.add(
          "  the plugin runs on the image's runtime and jars ("
              + shipped.javaHome()
              + "); its AOT cache is trained here on them (fp-train); all programs connect"
              + " with a token and CA file as in their pods");

      // The first plugin run trains the AOT cache that the chart's options name (the image's
      // /app/aot/kubelet-plugin.aot, trained the same way by the image's build) on the image's
      // runtime and jars, and loads the harness's own gRPC and client classes, so that no measured
      // run
      // pays for them in its time to registered. On a loaded machine the harness's first gRPC
      // call may miss its deadline while those classes load; a second run then finds them loaded.
      Path pluginCache = work.resolve("kubelet-plugin.aot");
      try {
        PluginFootprint.train(
            plane, shipped, "fp-train", chart.plugin(), pluginClaims, pluginCache);
      } catch (RuntimeException e) {
        System.out.println("[footprint] training run failed (" + e.getMessage() + "); once more");
        PluginFootprint.train(
            plane, shipped, "fp-train-2", chart.plugin(), pluginClaims, pluginCache);
      }
      JvmFootprint pluginBefore =
          PluginFootprint.measure(plane, shipped, "fp-before", List.of(), pluginClaims, steady);
      JvmFootprint pluginFlags =
          PluginFootprint.measure(
              plane,
              shipped,
              "fp-flags",
              ChartJvmOptions.withoutAotCache(chart.plugin()),
              pluginClaims,
              steady);
      JvmFootprint pluginAfter =
          PluginFootprint.measure(
              plane,
              shipped,
              "fp-after",
              ChartJvmOptions.withAotCache(chart.plugin(), pluginCache),
              pluginClaims,
              steady);
      String pluginLoad = loadAverage();

      NodeInventory h100 = MockNodeDiscovery.discover("h100-8x", work.resolve("mock-nvml"));
      ScalePlan plan =
          ScalePlan.of("fp", nodes, ScaleLoader.deviceNames(h100), claims, 5, Math.min(10, claims));
      try (ScaleLoader loader = new ScaleLoader(plane.client(), plan, h100, 32)) {
        loader.load();
      }
      Map<String, String> connection = InPodConnection.env(plane);
      JvmFootprint bareBefore =
          BareInformersProcess.measure(
              plane,
              THIS_JAVA,
              THIS_CLASS_PATH,
              List.of(),
              connection,
              work.resolve("bare-informers-before.log"),
              TIMEOUT,
              steady);
      JvmFootprint controllerBefore =
          controller(plane, plan, "fp-controller-before", List.of(), connection, steady);
      List<String> controllerOptions =
          new ArrayList<>(ChartJvmOptions.withoutAotCache(chart.controller()));
      controllerOptions.add("-XX:NativeMemoryTracking=summary");
      // Each program's resident memory moves by about 10 MiB from run to run (what the controller
      // has done in the window, the collector's timing), so the chart's options are measured in
      // several pairs, and the pair of median ratio is the one shown in full.
      List<Pair> pairs = new ArrayList<>();
      for (int run = 1; run <= afterRuns; run++) {
        JvmFootprint bare =
            BareInformersProcess.measure(
                plane,
                THIS_JAVA,
                THIS_CLASS_PATH,
                controllerOptions,
                connection,
                work.resolve("bare-informers-after-" + run + ".log"),
                TIMEOUT,
                steady);
        JvmFootprint controller =
            controller(
                plane, plan, "fp-controller-after-" + run, controllerOptions, connection, steady);
        pairs.add(new Pair(bare, controller));
      }
      Pair median = median(pairs);

      // As the image ships it: the image's runtime (no class data archive of its own) and jars,
      // the controller with the image's own AOT cache, required (-XX:AOTMode=on, so a cache the
      // JVM would not take fails the run), and paced as the chart paces it (its refresh interval
      // in place of the 1 s the other runs use), measured once a whole interval has passed after
      // converged, so that its periodic passes ran on the converged view. The baseline, which no
      // image ships, gets a cache trained here by a first run of its own on this cluster, which
      // favours it, and the same wait.
      Map<String, String> shippedEnv = new HashMap<>(connection);
      shippedEnv.putAll(chart.controllerPace());
      Duration shippedQuiet = chart.controllerRefresh().plusSeconds(2);
      if (shippedQuiet.compareTo(steady) < 0) {
        shippedQuiet = steady;
      }
      String imageClassPath = shipped.classPathAsInImage(work.resolve("app/lib"));
      Path bareJar =
          ShippedImage.jarOf(BareInformers.class, work.resolve("bare-informers/baseline.jar"));
      String bareClassPath = imageClassPath + ":" + bareJar;
      Path bareCache = work.resolve("bare-informers/baseline.aot");
      BareInformersProcess.measure(
          plane,
          shipped.javaHome(),
          bareClassPath,
          ChartJvmOptions.training(chart.controller(), bareCache),
          connection,
          work.resolve("bare-informers-train.log"),
          TIMEOUT,
          Duration.ofSeconds(3));
      if (!Files.isRegularFile(bareCache)) {
        throw new IllegalStateException("the baseline's training run wrote no AOT cache");
      }
      List<String> shippedBare =
          new ArrayList<>(ChartJvmOptions.withAotCache(chart.controller(), bareCache));
      shippedBare.addAll(List.of("-XX:AOTMode=on", "-XX:NativeMemoryTracking=summary"));
      List<String> shippedController =
          new ArrayList<>(
              ChartJvmOptions.withAotCache(
                  chart.controller(), shipped.aotCache("driver-controller")));
      shippedController.addAll(List.of("-XX:AOTMode=on", "-XX:NativeMemoryTracking=summary"));
      List<Pair> shippedPairs = new ArrayList<>();
      for (int run = 1; run <= afterRuns; run++) {
        JvmFootprint bare =
            BareInformersProcess.measure(
                plane,
                shipped.javaHome(),
                bareClassPath,
                shippedBare,
                connection,
                work.resolve("bare-informers-shipped-" + run + ".log"),
                TIMEOUT,
                shippedQuiet);
        JvmFootprint controller =
            controller(
                plane,
                plan,
                "fp-controller-shipped-" + run,
                shipped.javaHome(),
                imageClassPath,
                shippedController,
                shippedEnv,
                shippedQuiet);
        shippedPairs.add(new Pair(bare, controller));
      }
      Pair shippedMedian = median(shippedPairs);
      String controllerLoad = loadAverage();

      report.add("");
      report.add(
          String.format(
              "kubelet plugin, 8x A100 (mock NVML), slices published, %d claims prepared, after %d"
                  + " s quiet; load average %s",
              pluginClaims, steady.toSeconds(), pluginLoad));
      report.add(
          String.format(
              "%-34s %10s %10s %10s %7s %8s", "", "before", "flags", "flags+AOT", "ratio", "goal"));
      report.add(
          row(
              "start to registered (s)",
              seconds(pluginBefore.time()),
              seconds(pluginFlags.time()),
              seconds(pluginAfter.time()),
              "<= 2"));
      report.add(
          row(
              "resident memory (MiB)",
              mib(pluginBefore.residentBytes()),
              mib(pluginFlags.residentBytes()),
              mib(pluginAfter.residentBytes()),
              "<= 128"));
      report.add(
          row(
              "heap after full GC (MiB)",
              mib(pluginBefore.heapBytes()),
              mib(pluginFlags.heapBytes()),
              mib(pluginAfter.heapBytes()),
              ""));
      report.add(
          row(
              "CPU time used (s)",
              seconds(pluginBefore.cpu()),
              seconds(pluginFlags.cpu()),
              seconds(pluginAfter.cpu()),
              ""));

      report.add("");
      report.add(
          String.format(
              "driver controller, %d nodes x %d GPUs, %d claims, %d pods; load average %s",
              nodes, plan.deviceNames().size(), claims, plan.pods().size(), controllerLoad));
      report.add(
          String.format(
              "  before, flags: on this JVM and class path, without an AOT cache, with the JVM's"
                  + " defaults / the chart's options; metrics and pending-claim passes every 1 s;"
                  + " measured %d s after converged (the baseline: synced)",
              steady.toSeconds()));
      report.add(
          String.format(
              "  shipped: the image's runtime and jars with the chart's options; the controller"
                  + " with the image's AOT cache and paced as the chart paces it (%s), the"
                  + " baseline with an AOT cache trained here on a run of its own; measured %d s"
                  + " after converged / synced",
              chart.controllerPace().entrySet().stream()
                  .map(e -> e.getKey() + "=" + e.getValue())
                  .collect(Collectors.joining(", ")),
              shippedQuiet.toSeconds()));
      report.add(
          String.format("%-34s %10s %10s %7s %8s", "", "bare inf.", "controller", "ratio", "goal"));
      controllerRows(report, "before", bareBefore, controllerBefore);
      controllerRows(report, "flags", median.bare(), median.controller());
      controllerRows(report, "shipped", shippedMedian.bare(), shippedMedian.controller());
      memoryRows(report, "flags", median.bare(), median.controller());
      memoryRows(report, "shipped", shippedMedian.bare(), shippedMedian.controller());
      ratios(report, "flags", pairs, median);
      ratios(report, "shipped", shippedPairs, shippedMedian);
      report.add(
          String.format(
              "shipped controller against the flags baseline (bare informers without an AOT"
                  + " cache): %.2f (%.1f/%.1f)",
              (double) shippedMedian.controller().residentBytes() / median.bare().residentBytes(),
              mib(shippedMedian.controller().residentBytes()),
              mib(median.bare().residentBytes())));
    }
    System.out.println();
    report.forEach(l -> System.out.println("[footprint] " + l));
    System.exit(0);
  }

  /**
   * One measurement of the baseline and the controller with the same options, one after the other.
   */
  private record Pair(JvmFootprint bare, JvmFootprint controller) {
    double residentRatio() {
      return (double) controller.residentBytes() / bare.residentBytes();
    }
  }

  /** The pair of median resident memory ratio (the lower one of an even count). */
  private static Pair median(List<Pair> pairs) {
    List<Pair> byRatio =
        pairs.stream().sorted(Comparator.comparingDouble(Pair::residentRatio)).toList();
    return byRatio.get((byRatio.size() - 1) / 2);
  }

  private static void ratios(List<String> report, String label, List<Pair> pairs, Pair median) {
    report.add(
        String.format(
            "%s: resident memory ratio of each of %d runs, in run order: %s; median %.2f"
                + " (the run shown)",
            label,
            pairs.size(),
            pairs.stream()
                .map(
                    p ->
                        String.format(
                            "%.2f (%.1f/%.1f)",
                            p.residentRatio(),
                            mib(p.controller().residentBytes()),
                            mib(p.bare().residentBytes())))
                .collect(Collectors.joining(", ")),
            median.residentRatio()));
  }

  private static JvmFootprint controller(
      ControlPlane plane,
      ScalePlan plan,
      String leaseNamespace,
      List<String> jvmOptions,
      Map<String, String> connection,
      Duration quiet)
      throws InterruptedException {
    return controller(
        plane, plan, leaseNamespace, THIS_JAVA, THIS_CLASS_PATH, jvmOptions, connection, quiet);
  }

  private static JvmFootprint controller(
      ControlPlane plane,
      ScalePlan plan,
      String leaseNamespace,
      Path javaHome,
      String classPath,
      List<String> jvmOptions,
      Map<String, String> connection,
      Duration quiet)
      throws InterruptedException {
    Namespaces.create(plane.client(), leaseNamespace);
    long start = System.nanoTime();
    try (DriverControllerProcess controller =
        DriverControllerProcess.start(
            plane, leaseNamespace, javaHome, classPath, jvmOptions, connection)) {
      Duration converged =
          new Convergence(controller, plan).await(plan.expected(false), start, TIMEOUT);
      Thread.sleep(quiet.toMillis());
      return JvmFootprint.of(controller.pid(), converged);
    }
  }

  private static void controllerRows(
      List<String> report, String label, JvmFootprint bare, JvmFootprint controller) {
    report.add(
        row(
            label + ": synced / converged (s)",
            seconds(bare.time()),
            seconds(controller.time()),
            ""));
    report.add(
        row(
            label + ": resident memory (MiB)",
            mib(bare.residentBytes()),
            mib(controller.residentBytes()),
            "<= 1.1x"));
    report.add(
        row(
            label + ": heap after full GC (MiB)",
            mib(bare.heapBytes()),
            mib(controller.heapBytes()),
            ""));
  }

  /**
   * Where the resident memory of the two "after" JVMs is, part by part (those of at least 1 MiB on
   * either side): the kernel's split of it and what Native Memory Tracking commits per category.
   * Committed is not resident (untouched pages, freed malloc memory kept by the C library), so the
   * categories do not add up to the RSS; the differences show what the controller holds beyond its
   * informers.
   */
  private static void memoryRows(
      List<String> report, String label, JvmFootprint bare, JvmFootprint controller) {
    report.add(
        String.format(
            "%-34s %10s %10s %7s",
            label + ": where (MiB; counts)", "bare inf.", "controller", "diff"));
    Set<String> keys = new LinkedHashSet<>(controller.memoryParts().keySet());
    keys.addAll(bare.memoryParts().keySet());
    for (String key : keys) {
      long left = bare.memoryParts().getOrDefault(key, 0L);
      long right = controller.memoryParts().getOrDefault(key, 0L);
      if (key.startsWith("#")) {
        report.add(
            String.format(
                "%-34s %10d %10d %+7d", "  " + key.substring(1), left, right, right - left));
      } else if (Math.max(left, right) >= 1024 * 1024) {
        report.add(
            String.format(
                "%-34s %10.1f %10.1f %+7.1f",
                "  " + key, mib(left), mib(right), mib(right) - mib(left)));
      }
    }
  }

  private static String row(String what, double left, double right, String goal) {
    return String.format("%-34s %10.1f %10.1f %7.2f %8s", what, left, right, right / left, goal);
  }

  private static String row(String what, double before, double flags, double after, String goal) {
    return String.format(
        "%-34s %10.1f %10.1f %10.1f %7.2f %8s", what, before, flags, after, after / before, goal);
  }

  private static String loadAverage() throws IOException {
    String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
    return fields[0] + " " + fields[1] + " " + fields[2];
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  private static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }
}
