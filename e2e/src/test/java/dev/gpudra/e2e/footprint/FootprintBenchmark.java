package dev.gpudra.e2e.footprint;

import static dev.gpudra.e2e.footprint.FootprintTable.controllerRows;
import static dev.gpudra.e2e.footprint.FootprintTable.memoryRows;
import static dev.gpudra.e2e.footprint.FootprintTable.mib;
import static dev.gpudra.e2e.footprint.FootprintTable.ratios;
import static dev.gpudra.e2e.footprint.FootprintTable.row;
import static dev.gpudra.e2e.footprint.FootprintTable.seconds;

import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.e2e.chart.ChartDeviceClasses;
import dev.gpudra.e2e.cluster.ControlPlane;
import dev.gpudra.e2e.cluster.E2eBinaries;
import dev.gpudra.e2e.footprint.ControllerFootprint.Pair;
import dev.gpudra.e2e.footprint.ControllerFootprint.Setting;
import dev.gpudra.e2e.nodes.MockNodeDiscovery;
import dev.gpudra.e2e.realnode.DriverRelease;
import dev.gpudra.e2e.scale.BareInformers;
import dev.gpudra.e2e.scale.BareInformersProcess;
import dev.gpudra.e2e.scale.BareInformersProcess.Program;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

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
 *   <li>the driver controller ({@link ControllerFootprint}) with {@code nodes} nodes of 8 GPUs (the
 *       scale benchmark's slices, claims and pods, {@link ScalePlan}) next to a baseline of bare
 *       fabric8 informers on the same objects, each measured {@code steadySeconds} after its view
 *       has converged (synced); with the chart's options the pair is measured {@code
 *       controllerRuns} times, both also run with Native Memory Tracking, and the report shows the
 *       pair of median ratio in full, with where each one's memory is, category by category; then
 *       {@code controllerRuns} pairs more as the image ships the controller ("shipped"): on the
 *       image's runtime and jars, with the image's own AOT cache, paced as the chart paces it and
 *       measured a whole refresh interval after converged, next to the baseline on the same runtime
 *       with an AOT cache trained on a run of its own;
 *   <li>what CEL selectors alone cost with the chart's options ({@link CelSelectorsProbe}): a JVM
 *       that lists the same slices next to one that also compiles and runs the selectors, {@code
 *       controllerRuns} pairs, set against the controller's allowance under its goal.
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
      List<String> tracked = List.of("-XX:NativeMemoryTracking=summary");
      Pair before =
          ControllerFootprint.measure(
                  plane,
                  plan,
                  connection,
                  new Setting(
                      "before",
                      THIS_JAVA,
                      THIS_CLASS_PATH,
                      List.of(),
                      THIS_CLASS_PATH,
                      List.of(),
                      connection,
                      steady),
                  1)
              .getFirst();
      // Each program's resident memory moves by about 10 MiB from run to run (what the controller
      // has done in the window, the collector's timing), so the chart's options are measured in
      // several pairs, and the pair of median ratio is the one shown in full.
      List<String> flagsOptions =
          concat(ChartJvmOptions.withoutAotCache(chart.controller()), tracked);
      List<Pair> pairs =
          ControllerFootprint.measure(
              plane,
              plan,
              connection,
              new Setting(
                  "flags",
                  THIS_JAVA,
                  THIS_CLASS_PATH,
                  flagsOptions,
                  THIS_CLASS_PATH,
                  flagsOptions,
                  connection,
                  steady),
              afterRuns);
      Pair median = ControllerFootprint.median(pairs);

      // What CEL alone costs, with the same options: a JVM that lists and keeps the slices, next
      // to one that then also compiles and runs the selectors. The controller's allowance under
      // 1.1x is a tenth of the baseline; CEL is part of what it must fit in.
      List<Pair> celPairs = new ArrayList<>();
      for (int run = 1; run <= afterRuns; run++) {
        celPairs.add(
            new Pair(
                celProbe(work, "cel-none-" + run, List.of(), flagsOptions, connection, steady),
                celProbe(
                    work,
                    "cel-selectors-" + run,
                    List.of(CelSelectorsProbe.SELECTORS),
                    flagsOptions,
                    connection,
                    steady)));
      }
      Pair celMedian = ControllerFootprint.median(celPairs);

      // As the image ships it: the image's runtime (no class data archive of its own) and jars,
      // the controller with the image's own AOT cache, required (-XX:AOTMode=on, so a cache the
      // JVM would not take fails the run), and paced as the chart paces it (its refresh interval
      // in place of the 1 s the other runs use), measured once a whole interval has passed after
      // converged, so that its periodic passes ran on the converged view. The baseline, which no
      // image ships, gets a cache trained here by a first run of its own on this cluster, which
      // favours it, and the same wait.
      Map<String, String> shippedEnv = new HashMap<>(connection);
      shippedEnv.putAll(chart.controllerPace());
      Duration refreshed = chart.controllerRefresh().plusSeconds(2);
      Duration shippedQuiet = refreshed.compareTo(steady) < 0 ? steady : refreshed;
      String imageClassPath = shipped.classPathAsInImage(work.resolve("app/lib"));
      Path bareJar =
          ShippedImage.jarOf(BareInformers.class, work.resolve("bare-informers/baseline.jar"));
      String bareClassPath = imageClassPath + ":" + bareJar;
      Path bareCache = work.resolve("bare-informers/baseline.aot");
      BareInformersProcess.measure(
          BareInformersProcess.BASELINE,
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
      List<String> required = concat(List.of("-XX:AOTMode=on"), tracked);
      List<Pair> shippedPairs =
          ControllerFootprint.measure(
              plane,
              plan,
              connection,
              new Setting(
                  "shipped",
                  shipped.javaHome(),
                  bareClassPath,
                  concat(ChartJvmOptions.withAotCache(chart.controller(), bareCache), required),
                  imageClassPath,
                  concat(
                      ChartJvmOptions.withAotCache(
                          chart.controller(), shipped.aotCache("driver-controller")),
                      required),
                  shippedEnv,
                  shippedQuiet),
              afterRuns);
      Pair shippedMedian = ControllerFootprint.median(shippedPairs);
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
      controllerRows(report, "before", before.bare(), before.controller());
      controllerRows(report, "flags", median.bare(), median.controller());
      controllerRows(report, "shipped", shippedMedian.bare(), shippedMedian.controller());
      memoryRows(report, "flags", median.bare(), median.controller());
      memoryRows(report, "shipped", shippedMedian.bare(), shippedMedian.controller());
      report.add(
          String.format(
              "CEL selectors alone, with the flags' options: a JVM that lists and keeps the"
                  + " slices, and one that then also compiles the device classes' and claims'"
                  + " selectors and runs each %d times on every device (%s); measured %d s after"
                  + " ready",
              CelSelectorsProbe.ROUNDS,
              CelSelectorsProbe.class.getSimpleName(),
              steady.toSeconds()));
      report.add(String.format("%-34s %10s %10s %7s", "", "slices", "+ CEL", "ratio"));
      report.add(
          row(
              "CEL: resident memory (MiB)",
              mib(celMedian.bare().residentBytes()),
              mib(celMedian.controller().residentBytes()),
              ""));
      report.add(
          row(
              "CEL: heap after full GC (MiB)",
              mib(celMedian.bare().heapBytes()),
              mib(celMedian.controller().heapBytes()),
              ""));
      memoryRows(report, "CEL", "slices", "+ CEL", celMedian.bare(), celMedian.controller());
      double allowance = mib(median.bare().residentBytes()) / 10;
      report.add(
          String.format(
              "CEL's resident memory in each of %d runs, in run order: %s MiB; the controller's"
                  + " whole allowance over the flags baseline under 1.1x: %.1f MiB; CEL alone"
                  + " (the run shown) takes %.0f%% of it",
              celPairs.size(),
              celPairs.stream()
                  .map(p -> String.format("%+.1f", celCost(p)))
                  .collect(Collectors.joining(", ")),
              allowance,
              100 * celCost(celMedian) / allowance));
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

  private static JvmFootprint celProbe(
      Path work,
      String name,
      List<String> args,
      List<String> options,
      Map<String, String> connection,
      Duration quiet)
      throws InterruptedException {
    return BareInformersProcess.measure(
        new Program(name, CelSelectorsProbe.class, args, CelSelectorsProbe.READY),
        THIS_JAVA,
        THIS_CLASS_PATH,
        options,
        connection,
        work.resolve(name + ".log"),
        TIMEOUT,
        quiet);
  }

  /** What the probe with selectors holds over the one without, in MiB. */
  private static double celCost(Pair pair) {
    return mib(pair.controller().residentBytes()) - mib(pair.bare().residentBytes());
  }

  private static List<String> concat(List<String> first, List<String> second) {
    return Stream.concat(first.stream(), second.stream()).toList();
  }

  private static String loadAverage() throws IOException {
    String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
    return fields[0] + " " + fields[1] + " " + fields[2];
  }
}
