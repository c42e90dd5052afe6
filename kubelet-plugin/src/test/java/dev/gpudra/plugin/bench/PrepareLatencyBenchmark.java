package dev.gpudra.plugin.bench;

import dev.gpudra.plugin.PluginConfig;
import dev.gpudra.plugin.prepare.ClaimRef;
import dev.gpudra.plugin.prepare.PrepareResult;
import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.node.Claims;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.MockTools;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Prepare latency against the disk's own limit, in one run and one directory:
 *
 * <ol>
 *   <li>the floor: one durable replace of a small file ({@link FsyncFloor}), sampled before each
 *       single prepare, so that floor and prepares see the disk in the same moods (the ratios
 *       {@code xfloor}); and sampled alone, back to back before the run, the disk at its quietest
 *       (the p99 ratio {@code xalone});
 *   <li>prepare without the API read ({@link LocalPrepareRig}: the plugin's prepare path in this
 *       JVM, claims read from memory, copies of claims allocated once in the API server, so that
 *       nothing else runs meanwhile), one claim at a time and 32 pods at once, with the ratio of
 *       each to the floor. The checkpoint is on the disk under test, beside the floor's file; the
 *       specs are where a node keeps them, on a tmpfs ({@code /dev/shm} here, {@code
 *       -Dgpudra.bench.cdiDir} to change it: the chart's {@code /var/run/cdi} is on {@code /run}, a
 *       tmpfs on systemd hosts). A last row runs the 32 pods again with the specs on the
 *       checkpoint's disk. With each phase, the process's CPU time per prepare while the calls were
 *       in flight;
 *   <li>prepare as the kubelet sees it: one gRPC call per pod over the unix socket to the plugin as
 *       its own JVM on a fake A100 node (mock NVML), claims read from fabric8's mock API server;
 *   <li>on that node, sharing ({@link SharingLatency}): an exclusive claim, a fractional share of a
 *       GPU whose MPS control daemon already runs, and one whose daemon must be started (and is
 *       stopped by its unprepare), with each one's ratio to the exclusive claim. The daemon is the
 *       mock {@code nvidia-cuda-mps-control} of the test kit: its start costs process starts like
 *       the real one's, not the real server's GPU initialisation.
 * </ol>
 *
 * Not a test: it asserts nothing and prints tables. Each scenario runs warm first (300 single
 * prepares, 3 rounds), then 1000 single prepares and 30 rounds of 32. Every claim of a phase is
 * made before the phase's first measured call, which starts on a collected heap. The 32 concurrent
 * claims are admin-access claims spread over four GPUs: the same prepare path, without the
 * exclusivity refusal. Goals: one claim's p99 within 3x the floor, 32 concurrent pods' p99 within
 * 10x.
 *
 * <p>The {@code bench} profile runs this JVM with the plugin's JIT and GC ({@code
 * -XX:TieredStopAtLevel=1 -XX:+UseSerialGC}, as the chart and the test kit's plugin process do).
 * Run: {@code ./mvnw -B verify -pl kubelet-plugin -am -Pbench -DskipTests -DskipITs}; {@code
 * -Dgpudra.bench.dir=<dir>} puts the files on another disk, and {@code
 * -Dgpudra.bench.localOnly=true} stops after the table without the API read (both are properties of
 * the benchmark's JVM: run it with {@code java} and the test classpath to set them).
 */
public final class PrepareLatencyBenchmark {

  private static final String NODE = "node-a";
  private static final int WARM_UP = 300;
  private static final int WARM_UP_ROUNDS = 3;
  private static final int SINGLE = 1000;
  private static final int ROUNDS = 30;
  private static final int CONCURRENT = 32;
  private static final String[] GPUS = {"gpu-4", "gpu-5", "gpu-6", "gpu-7"};

  private PrepareLatencyBenchmark() {}

  /**
   * One way of preparing a claim: a new allocated claim where this way reads it (before the
   * measured call), the call's latency in nanoseconds, and its undoing.
   */
  private interface Target {
    PodClaim allocated(String name, String gpu, boolean adminAccess);

    long prepare(PodClaim claim);

    void unprepare(List<PodClaim> claims);
  }

  public static void main(String[] args) throws Exception {
    Path base =
        Path.of(System.getProperty("gpudra.bench.dir", System.getProperty("java.io.tmpdir")));
    Path root = Files.createTempDirectory(Files.createDirectories(base), "gpudra-bench");
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    server.init();
    try (KubernetesClient client = server.createClient()) {
      Claims claims = new Claims(client, "bench");
      Path local = Files.createDirectories(root.resolve("local"));
      // Sampled once before each single prepare, so that the floor and the prepares see the disk
      // in the same moods.
      List<Long> floor = new ArrayList<>();
      // And once alone, back to back before anything else runs: the disk at its quietest.
      List<Long> alone = FsyncFloor.measure(local, SINGLE);
      // The specs where a node keeps them: /var/run/cdi, the chart's default, is on /run, a
      // tmpfs on systemd hosts. The checkpoint and the floor stay on the disk under test.
      Path specs = Files.createTempDirectory(cdiBase(root), "gpudra-bench-cdi");
      LocalPrepareRig rig = new LocalPrepareRig(local, specs, NODE);
      // The same path with the specs on the checkpoint's disk, for a root that is not a tmpfs.
      Path beside = Files.createDirectories(root.resolve("local-specs-on-disk"));
      LocalPrepareRig onDisk = new LocalPrepareRig(beside, beside.resolve("cdi"), NODE);
      Map<String, ResourceClaim> templates = new HashMap<>();
      Target inProcess = inJvm(rig, templates, claims, client);
      Target inProcessOnDisk = inJvm(onDisk, templates, claims, client);
      single(inProcess, WARM_UP, "local-warm", local, new ArrayList<>(), new ArrayList<>());
      concurrent(inProcess, WARM_UP_ROUNDS, "local-warm-many", new ArrayList<>());
      concurrent(inProcessOnDisk, WARM_UP_ROUNDS, "disk-warm-many", new ArrayList<>());
      List<PhaseCost> gcs = new ArrayList<>();
      List<Long> localSingle = single(inProcess, SINGLE, "local-one", local, floor, gcs);
      List<Long> localConcurrent = concurrent(inProcess, ROUNDS, "local-many", gcs);
      List<Long> diskConcurrent = concurrent(inProcessOnDisk, ROUNDS, "disk-many", gcs);
      deleteEmptyDirectory(specs);
      // Printed at once: the table that matters does not depend on the plugin JVM starting.
      System.out.println();
      System.out.println(
          "Prepare latency without the API read (prepare path in this JVM): checkpoint and floor"
              + " under "
              + local
              + ", specs under "
              + specs);
      header();
      row("floor alone, before the run", alone, floor, alone);
      row("floor: 1 fsync'ed replace", floor, floor, alone);
      row("1 claim at a time", localSingle, floor, alone);
      row(CONCURRENT + " pods concurrently", localConcurrent, floor, alone);
      row(CONCURRENT + " pods, specs on the disk", diskConcurrent, floor, alone);
      System.out.printf(
          Locale.ROOT,
          "while measuring, garbage collections in this JVM and the process's CPU time per"
              + " prepare:%n  1 claim %s; %d pods %s; %d pods, specs on the disk %s%n",
          gcs.get(0),
          CONCURRENT,
          gcs.get(1),
          CONCURRENT,
          gcs.get(2));
      if (Boolean.getBoolean("gpudra.bench.localOnly")) {
        printLoad();
        return;
      }

      FakeNode node = FakeNode.create(root, NODE, "a100-8x");
      Map<String, String> env = new HashMap<>(node.env(client.getMasterUrl().toString()));
      env.put(PluginConfig.METRICS_PORT, "-1");
      env.put(PluginConfig.FRACTIONAL_GPUS, "true");
      env.put(PluginConfig.SHARING_STRATEGIES, "Exclusive,MPS");
      List<Long> grpcFloor = new ArrayList<>();
      List<Long> grpcSingle;
      List<Long> grpcConcurrent;
      SharingLatency.Result sharing;
      try (PluginProcess plugin =
              PluginProcess.start(env, root.resolve("plugin.log"), Duration.ofMinutes(2));
          KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
        System.out.println("plugin JVM pid " + plugin.pid() + ", files under " + root);
        DraCalls dra = DraCalls.of(kubelet.register(kubelet.discoverRegistrationSockets().get(0)));
        Target overGrpc =
            new Target() {
              // In the API server, where the plugin reads it inside the measured call.
              @Override
              public PodClaim allocated(String name, String gpu, boolean adminAccess) {
                return allocate(claims, name, gpu, adminAccess);
              }

              @Override
              public long prepare(PodClaim claim) {
                long start = System.nanoTime();
                ClaimOutcome outcome = dra.prepare(List.of(claim)).get(claim.uid());
                long nanos = System.nanoTime() - start;
                if (!outcome.ok()) {
                  throw new IllegalStateException("prepare failed: " + outcome.error());
                }
                return nanos;
              }

              @Override
              public void unprepare(List<PodClaim> batch) {
                dra.unprepare(batch);
              }
            };
        single(overGrpc, WARM_UP, "warm", local, new ArrayList<>(), new ArrayList<>());
        concurrent(overGrpc, WARM_UP_ROUNDS, "warm-many", new ArrayList<>());
        grpcSingle = single(overGrpc, SINGLE, "one", local, grpcFloor, new ArrayList<>());
        grpcConcurrent = concurrent(overGrpc, ROUNDS, "many", new ArrayList<>());
        sharing =
            SharingLatency.measure(
                claim -> overGrpc.prepare(claim), overGrpc::unprepare, claims, NODE);
      } finally {
        MockTools.killDaemons(node.toolStateFile());
      }

      System.out.println();
      System.out.println(
          "Prepare latency as the kubelet sees it (gRPC over the unix socket to the plugin JVM,"
              + " claim read from the mock API server)");
      header();
      row("floor: 1 fsync'ed replace", grpcFloor, grpcFloor, alone);
      row("1 claim at a time", grpcSingle, grpcFloor, alone);
      row(CONCURRENT + " pods concurrently", grpcConcurrent, grpcFloor, alone);
      System.out.println(
          "xfloor: each percentile over the same percentile of the floor sampled once before each"
              + " single prepare; xalone: p99 over that of the floor sampled "
              + SINGLE
              + " times alone before the run. Goals: 1 claim p99 <= 3x, "
              + CONCURRENT
              + " pods p99 <= 10x.");
      sharing.print();
      printLoad();
    } finally {
      server.destroy();
    }
  }

  /**
   * Prepare through {@code rig} in this JVM. Each claim is a copy, under a new name and UID, of a
   * claim allocated once in the API server for its GPU and access (kept in {@code templates}): the
   * local scenarios send nothing to the API server, whose work would otherwise share the CPUs and
   * the heap with the measured calls.
   */
  private static Target inJvm(
      LocalPrepareRig rig,
      Map<String, ResourceClaim> templates,
      Claims claims,
      KubernetesClient client) {
    return new Target() {
      @Override
      public PodClaim allocated(String name, String gpu, boolean adminAccess) {
        ResourceClaim template =
            templates.computeIfAbsent(
                gpu + "/" + adminAccess,
                key -> {
                  PodClaim first =
                      allocate(claims, "template-" + templates.size(), gpu, adminAccess);
                  return client
                      .resources(ResourceClaim.class)
                      .inNamespace(first.namespace())
                      .withName(first.name())
                      .get();
                });
        ResourceClaim copy =
            new ResourceClaimBuilder(template)
                .editMetadata()
                .withName(name)
                .withUid(UUID.randomUUID().toString())
                .endMetadata()
                .build();
        rig.add(copy);
        return new PodClaim(
            copy.getMetadata().getNamespace(),
            copy.getMetadata().getUid(),
            copy.getMetadata().getName());
      }

      @Override
      public long prepare(PodClaim claim) {
        long start = System.nanoTime();
        PrepareResult result = rig.dra().prepare(List.of(ref(claim))).get(claim.uid());
        long nanos = System.nanoTime() - start;
        if (!(result instanceof PrepareResult.Prepared)) {
          throw new IllegalStateException("prepare failed: " + result);
        }
        return nanos;
      }

      @Override
      public void unprepare(List<PodClaim> batch) {
        rig.dra().unprepare(batch.stream().map(PrepareLatencyBenchmark::ref).toList());
      }
    };
  }

  // Where the specs of the local scenarios go: -Dgpudra.bench.cdiDir, else /dev/shm (a tmpfs, as
  // /run is on a node), else beside the rest under root.
  private static Path cdiBase(Path root) throws java.io.IOException {
    String configured = System.getProperty("gpudra.bench.cdiDir");
    if (configured != null) {
      return Files.createDirectories(Path.of(configured));
    }
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : root;
  }

  // Every claim was unprepared, so its spec is gone: what is left is the empty directory.
  private static void deleteEmptyDirectory(Path dir) {
    try {
      Files.deleteIfExists(dir);
    } catch (java.io.IOException e) {
      System.out.println("left " + dir + ": " + e.getMessage());
    }
  }

  private static void printLoad() throws java.io.IOException {
    System.out.printf(
        Locale.ROOT,
        "cpus %d, load average %s%n",
        Runtime.getRuntime().availableProcessors(),
        Files.readString(Path.of("/proc/loadavg")).trim());
  }

  // Claim name allocated gpu of the node in the API server; with admin access when asked.
  private static PodClaim allocate(Claims claims, String name, String gpu, boolean adminAccess) {
    return claims.allocated(name, List.of(Claims.result("gpu", NODE, gpu, adminAccess)), List.of());
  }

  private static ClaimRef ref(PodClaim claim) {
    return new ClaimRef(claim.namespace(), claim.uid(), claim.name());
  }

  // One claim at a time, each after one floor sample in floorDir (added to floor).
  private static List<Long> single(
      Target target, int count, String prefix, Path floorDir, List<Long> floor, List<PhaseCost> gcs)
      throws java.io.IOException {
    // Every claim made before the first call: no claim is built while another call is measured.
    List<PodClaim> claims = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      claims.add(target.allocated(prefix + "-" + i, GPUS[i % GPUS.length], false));
    }
    // The measured calls start on a collected heap: no collection of the harness's own garbage
    // (the claims above) lands on them. Those that still do are counted (PhaseCost).
    System.gc();
    PhaseCost gc = PhaseCost.start();
    List<Long> samples = new ArrayList<>();
    long cpu = 0;
    for (PodClaim claim : claims) {
      floor.addAll(FsyncFloor.measure(floorDir, 1));
      long cpuBefore = processCpuNanos();
      samples.add(target.prepare(claim));
      cpu += processCpuNanos() - cpuBefore;
      target.unprepare(List.of(claim));
    }
    gcs.add(gc.stop(cpu, samples.size()));
    return samples;
  }

  // Rounds of 32 pods released at once, each preparing its own admin-access claim.
  private static List<Long> concurrent(
      Target target, int rounds, String prefix, List<PhaseCost> gcs) throws Exception {
    List<List<PodClaim>> batches = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      List<PodClaim> batch = new ArrayList<>();
      for (int i = 0; i < CONCURRENT; i++) {
        batch.add(target.allocated(prefix + "-" + round + "-" + i, GPUS[i % GPUS.length], true));
      }
      batches.add(batch);
    }
    System.gc();
    PhaseCost gc = PhaseCost.start();
    List<Long> samples = new ArrayList<>();
    long cpu = 0;
    try (ExecutorService pods = Executors.newFixedThreadPool(CONCURRENT)) {
      for (List<PodClaim> batch : batches) {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Long>> calls = new ArrayList<>();
        for (PodClaim claim : batch) {
          calls.add(
              pods.submit(
                  () -> {
                    go.await();
                    return target.prepare(claim);
                  }));
        }
        long cpuBefore = processCpuNanos();
        go.countDown();
        for (Future<Long> call : calls) {
          samples.add(call.get());
        }
        cpu += processCpuNanos() - cpuBefore;
        target.unprepare(batch);
      }
    }
    gcs.add(gc.stop(cpu, samples.size()));
    return samples;
  }

  /**
   * The collections of this JVM between start and stop and their total time; and the CPU time the
   * process used while prepares were in flight (user and system, every thread: the calls' own work
   * and the kernel's for their files, not the floor's or the unprepares'), per prepare.
   */
  private record PhaseCost(long count, long millis, long cpuNanos, int prepares) {
    static PhaseCost start() {
      long count = 0;
      long millis = 0;
      for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        count += gc.getCollectionCount();
        millis += gc.getCollectionTime();
      }
      return new PhaseCost(count, millis, 0, 0);
    }

    PhaseCost stop(long preparesCpuNanos, int preparesDone) {
      PhaseCost now = start();
      return new PhaseCost(now.count - count, now.millis - millis, preparesCpuNanos, preparesDone);
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%d (%d ms), CPU %.3f ms per prepare",
          count,
          millis,
          cpuNanos / 1e6 / Math.max(1, prepares));
    }
  }

  // CPU time of this process so far, every thread, user and system.
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static void header() {
    System.out.printf(
        Locale.ROOT,
        "%-28s %8s %9s %9s %9s %10s %10s %10s%n",
        "scenario",
        "samples",
        "p50 ms",
        "p99 ms",
        "max ms",
        "p50 xfloor",
        "p99 xfloor",
        "p99 xalone");
  }

  // Ratios to floorNanos (sampled between the prepares) and, last, to aloneNanos (sampled alone).
  private static void row(
      String name, List<Long> nanos, List<Long> floorNanos, List<Long> aloneNanos) {
    List<Long> sorted = nanos.stream().sorted().toList();
    List<Long> floor = floorNanos.stream().sorted().toList();
    List<Long> alone = aloneNanos.stream().sorted().toList();
    System.out.printf(
        Locale.ROOT,
        "%-28s %8d %9.2f %9.2f %9.2f %10.2f %10.2f %10.2f%n",
        name,
        sorted.size(),
        percentile(sorted, 0.50) / 1e6,
        percentile(sorted, 0.99) / 1e6,
        sorted.get(sorted.size() - 1) / 1e6,
        (double) percentile(sorted, 0.50) / percentile(floor, 0.50),
        (double) percentile(sorted, 0.99) / percentile(floor, 0.99),
        (double) percentile(sorted, 0.99) / percentile(alone, 0.99));
  }

  /** The {@code p} percentile of ascending {@code sorted}. */
  static long percentile(List<Long> sorted, double p) {
    int index = (int) Math.ceil(p * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
  }
}
