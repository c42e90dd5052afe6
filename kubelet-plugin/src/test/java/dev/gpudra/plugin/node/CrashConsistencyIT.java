package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.checkpoint.CheckpointCodec;
import dev.gpudra.core.checkpoint.CheckpointedDevice;
import dev.gpudra.core.checkpoint.ClaimState;
import dev.gpudra.core.checkpoint.PreparedClaim;
import dev.gpudra.plugin.CrashingPluginMain;
import dev.gpudra.plugin.PluginConfig;
import dev.gpudra.testkit.kubelet.CdiSpecCheck;
import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.node.Claims;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.MockMigState;
import dev.gpudra.testkit.node.MockTools;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the plugin (SIGKILL, as a separate JVM) at random points inside prepare and unprepare, at
 * least {@value #KILLS} times, and checks after every restart that the kubelet's repeated calls
 * converge to a consistent node.
 *
 * <p>Each round starts the plugin through {@link CrashingPluginMain}, armed to kill itself at a
 * random durable step: during start-up recovery, after a checkpoint save, between a group commit's
 * write and its fdatasync, after effects, after a spec write or delete. Every {@value
 * #UPGRADE_EVERY}th restart finds the checkpoint in the previous format version (1), as an upgrade
 * would. The emulated kubelet first repeats the call that was cut off, as the real kubelet does for
 * a pod that is still starting or stopping, then checks the invariants, then runs random per-pod
 * prepare/unprepare calls until the plugin dies. Claims include two allocated to the same GPU, so
 * refusals of double use are exercised too.
 *
 * <p>Invariants: every claim the kubelet holds as prepared has a completed checkpoint entry and
 * exactly one spec resolving its CDI ids; every other claim has neither; no spec without an entry;
 * no device held by two claims. Prints the kill points exercised and inconsistencies found.
 *
 * <p>Three claims of the static nodes share gpu-3 through its MPS control daemon (two fractional
 * shares, one whole-GPU MPS claim refused while a share holds it): after every restart and after
 * the repeated call, every GPU an entry records as an MPS GPU has a running daemon in compute mode
 * {@code EXCLUSIVE_PROCESS}, and no other GPU has either ({@link MpsConsistency}); every third
 * round the daemons die with the plugin, as with its container, and recovery must start them again;
 * the aimed rounds below include the daemon's start and stop.
 *
 * <p>Three claims of the static nodes time-slice one GPU (two with the same interval, one with
 * another, which is refused while the others hold it); there the GPU's time slice in the mock
 * {@code nvidia-smi}'s state must be the interval completed entries record, or Default when no
 * entry records one, and every fourth round aims its kill at a time-slice step.
 *
 * <p>One more node runs the plugin with dynamic MIG ({@value #MIG_KILLS_PROPERTY}, default {@value
 * #DEFAULT_MIG_KILLS} kills): its claims are MIG placements the plugin creates, some overlapping
 * (NVML refuses the second) and one the same as another's. There, after every restart and again
 * after the repeated call, the GPU and compute instances in the mock NVML's state must be exactly
 * those recorded by completed checkpoint entries: a claim cut off in the middle of creating or
 * destroying leaves nothing behind.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class CrashConsistencyIT {

  // CI's sample; the crash profile (-Pcrash) runs more than 1000 kills in all.
  private static final int KILLS = Integer.getInteger("gpudra.crash.kills", 200);
  private static final String MIG_KILLS_PROPERTY = "gpudra.crash.migKills";
  private static final int DEFAULT_MIG_KILLS = 33;
  // Registration is not under test here: a restarted plugin JVM answering GetInfo after the
  // kubelet's 1 s deadline on a loaded machine is tried again, as kubelets 1.36+ do.
  private static final int REGISTER_ATTEMPTS = 5;
  private static final int MIG_KILLS = Integer.getInteger(MIG_KILLS_PROPERTY, DEFAULT_MIG_KILLS);
  // GPUs of a100-8x in MIG mode: the ones the plugin owns with dynamic MIG.
  private static final List<Integer> MIG_GPUS = List.of(0, 1, 2);
  private static final Pattern MIG_NAME = Pattern.compile("gpu-(\\d+)-mig-.*");
  // Steps at start-up, before the plugin serves: recovery itself must survive a kill.
  private static final List<String> RECOVERY_STEPS =
      List.of(
          "recovery:leftovers-removed",
          "recovery:specs-removed",
          "recovery:specs-restored",
          "recovery:checkpoint-saved");
  // Without effects that change the node, PREPARE_STARTED stays in memory: no started-saved step
  // for exclusive claims (time-slice claims reach it, but are not aimed at it).
  private static final List<String> STEPS =
      java.util.stream.Stream.concat(
              RECOVERY_STEPS.stream(),
              java.util.stream.Stream.of(
                  "prepare:effects-applied",
                  "prepare:spec-written",
                  "checkpoint:appended",
                  "prepare:completed-saved",
                  "unprepare:effects-undone",
                  "unprepare:spec-deleted",
                  "unprepare:entry-removed",
                  "prepare:time-slice-set",
                  "unprepare:time-slice-restored",
                  "prepare:mps-daemon-started",
                  "unprepare:mps-daemon-stopped"))
          .toList();
  // Steps that only some claims reach: every fourth round of a static node aims at one of them.
  private static final List<String> TIME_SLICE_STEPS =
      List.of(
          "prepare:time-slice-set",
          "unprepare:time-slice-restored",
          "prepare:mps-daemon-started",
          "unprepare:mps-daemon-stopped");
  private static final List<String> MIG_STEPS =
      java.util.stream.Stream.concat(
              STEPS.stream().filter(step -> !TIME_SLICE_STEPS.contains(step)),
              java.util.stream.Stream.of(
                  "prepare:started-saved",
                  "prepare:gpu-instance-created",
                  "prepare:compute-instance-created",
                  "unprepare:compute-instance-destroyed",
                  "unprepare:gpu-instance-destroyed"))
          .toList();
  // Every this many rounds the checkpoint is rewritten in version 1 before the restart, as a
  // plugin of the previous version would have left it: the upgrade happens at a random crash.
  private static final int UPGRADE_EVERY = 7;
  private static final Pattern KILL_LINE = Pattern.compile("KILL-POINT \\d+ (\\S+): sending");

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path root;

  private record Call(boolean prepare, List<PodClaim> claims) {}

  /** What one node's share of the crash test saw. */
  private record NodeRun(
      String node,
      int kills,
      int rounds,
      double seconds,
      List<String> inconsistencies,
      String log) {}

  /**
   * Writes the claims. The nodes start together, each writing its claims while the others' plugins
   * start against the same mock server, and on a loaded 2-core machine one create once waited past
   * the client's default 10 s; the test is about the plugin, so its own writes may wait longer.
   */
  private KubernetesClient patientClient;

  @BeforeEach
  void openPatientClient() {
    patientClient =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(client.getConfiguration()).withRequestTimeout(60_000).build())
            .build();
  }

  @AfterEach
  void closePatientClient() {
    patientClient.close();
  }

  @Test
  void everyCrashDuringPrepareOrUnprepareConvergesToAConsistentNode() throws Exception {
    long seed = Long.getLong("gpudra.crash.seed", System.nanoTime());
    // Independent nodes, each with its own plugin JVM, share the work: JVM start-up dominates a
    // round, and two of them overlap well even on two cores.
    int nodes = Integer.getInteger("gpudra.crash.nodes", 2);
    List<java.util.concurrent.Future<NodeRun>> futures = new ArrayList<>();
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(nodes + 1)) {
      for (int n = 0; n < nodes; n++) {
        int index = n;
        int share = KILLS / nodes + (n < KILLS % nodes ? 1 : 0);
        futures.add(
            pool.submit(
                () ->
                    runNode(
                        "node-" + (char) ('a' + index),
                        root.resolve("n" + index),
                        seed + index,
                        share,
                        false)));
      }
      if (MIG_KILLS > 0) {
        futures.add(
            pool.submit(
                () -> runNode("node-mig", root.resolve("mig"), seed + nodes, MIG_KILLS, true)));
      }
    }
    int kills = 0;
    int rounds = 0;
    List<String> inconsistencies = new ArrayList<>();
    Map<String, Integer> points = new TreeMap<>();
    Map<String, Integer> migPoints = new TreeMap<>();
    for (var future : futures) {
      NodeRun run = future.get();
      kills += run.kills();
      rounds += run.rounds();
      inconsistencies.addAll(run.inconsistencies());
      Matcher m = KILL_LINE.matcher(run.log());
      while (m.find()) {
        (run.node().equals("node-mig") ? migPoints : points).merge(m.group(1), 1, Integer::sum);
      }
      System.out.printf(
          "crash test node %s: %d kills in %d rounds, %.1f s%n",
          run.node(), run.kills(), run.rounds(), run.seconds());
    }
    System.out.printf(
        "crash test (seed %d, %d nodes + dynamic MIG node): %d kills in %d rounds; kill points"
            + " exercised %s, with dynamic MIG %s; inconsistencies found: %d%n",
        seed, nodes, kills, rounds, points, migPoints, inconsistencies.size());
    inconsistencies.forEach(i -> System.out.println("  inconsistency: " + i));
    assertThat(inconsistencies).isEmpty();
    assertThat(kills).isGreaterThanOrEqualTo(KILLS + MIG_KILLS);
    if (MIG_KILLS >= MIG_STEPS.size()) {
      assertThat(migPoints.keySet()).containsAll(MIG_STEPS);
    }
    // With the default number of kills every step is hit; a short run need not hit all.
    if (KILLS >= 100) {
      assertThat(points.keySet()).containsAll(STEPS);
    }
  }

  // Claims' devices, one list per claim. Static node: whole GPUs, two claims on gpu-7; c2, c5 and
  // c6 time-slice gpu-6 (see TIME_SLICED), c6 with another interval. Dynamic MIG node: placements
  // on GPUs 0 and 1, where c1/c2 name the same one and c3 overlaps c0, and a GPU.
  private static final List<List<String>> STATIC_CLAIMS =
      List.of(
          List.of("gpu-4"),
          List.of("gpu-5"),
          List.of("gpu-6"),
          List.of("gpu-7"),
          List.of("gpu-7"),
          List.of("gpu-6"),
          List.of("gpu-6"),
          List.of(MpsConsistency.GPU),
          List.of(MpsConsistency.GPU),
          List.of(MpsConsistency.GPU));
  // Static claims that use gpu-3's MPS daemon: c7 and c8 are shares, c9 asks for MPS on the
  // whole GPU (refused while a share holds it).
  private static final List<Integer> MPS_SHARES = List.of(7, 8);
  private static final int MPS_WHOLE = 9;
  // Time-slice interval by index of a static claim; the others are exclusive.
  private static final Map<Integer, String> TIME_SLICED = Map.of(2, "Long", 5, "Long", 6, "Short");
  private static final Map<String, Integer> SLICE_CODES =
      Map.of("Default", 0, "Short", 1, "Medium", 2, "Long", 3);
  private static final List<List<String>> MIG_CLAIMS =
      List.of(
          List.of("gpu-0-mig-3g40gb-9-0"),
          List.of("gpu-0-mig-1g10gb-19-4"),
          List.of("gpu-0-mig-1g10gb-19-4"),
          List.of("gpu-0-mig-2g20gb-14-2"),
          List.of("gpu-1-mig-2g20gb-14-2", "gpu-1-mig-1g10gb-19-6"),
          List.of("gpu-4"));

  private NodeRun runNode(String nodeName, Path dir, long seed, int targetKills, boolean dynamicMig)
      throws Exception {
    long started = System.nanoTime();
    Random random = new Random(seed);
    FakeNode node =
        FakeNode.create(java.nio.file.Files.createDirectories(dir), nodeName, "a100-8x");
    Claims claims = new Claims(patientClient, "crash-" + nodeName);
    List<PodClaim> all = new ArrayList<>();
    Map<String, List<String>> deviceOf = new HashMap<>();
    List<List<String>> devices = dynamicMig ? MIG_CLAIMS : STATIC_CLAIMS;
    for (int i = 0; i < devices.size(); i++) {
      String interval = dynamicMig ? null : TIME_SLICED.get(i);
      if (!dynamicMig && MPS_SHARES.contains(i)) {
        String shareId = java.util.UUID.randomUUID().toString();
        PodClaim share = MpsConsistency.share(claims, "c" + i, nodeName, shareId);
        all.add(share);
        deviceOf.put(share.uid(), List.of(MpsConsistency.GPU + "-" + shareId));
        continue;
      }
      List<io.fabric8.kubernetes.api.model.resource.v1.DeviceAllocationConfiguration> configs =
          !dynamicMig && i == MPS_WHOLE
              ? List.of(Claims.config("FromClaim", List.of(), MpsConsistency.MPS_CONFIG))
              : List.of();
      PodClaim claim =
          claims.allocated(
              "c" + i,
              devices.get(i).stream().map(d -> Claims.result("gpu", nodeName, d, false)).toList(),
              interval == null
                  ? configs
                  : List.of(
                      Claims.config(
                          "FromClaim",
                          List.of(),
                          "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\","
                              + "\"sharing\":{\"strategy\":\"TimeSlicing\","
                              + "\"timeSlicingConfig\":{\"interval\":\""
                              + interval
                              + "\"}}}")));
      all.add(claim);
      deviceOf.put(claim.uid(), devices.get(i));
    }

    Set<String> prepared = new HashSet<>(); // what the kubelet believes
    Call interrupted = null;
    int kills = 0;
    int rounds = 0;
    List<String> inconsistencies = new ArrayList<>();
    Path log = dir.resolve("plugin.log");
    while (kills < targetKills) {
      rounds++;
      Map<String, String> env = new LinkedHashMap<>(node.env(client.getMasterUrl().toString()));
      if (dynamicMig) {
        // Each step in turn, its first or second time (recovery runs once per start): the MIG
        // node's fewer kills hit them all.
        String step = MIG_STEPS.get(rounds % MIG_STEPS.size());
        int nth = RECOVERY_STEPS.contains(step) ? 1 : 1 + random.nextInt(2);
        env.put(CrashingPluginMain.KILL_AT_STEP, Integer.toString(nth));
        env.put(CrashingPluginMain.KILL_AT_STEP_NAME, step);
      } else if (rounds % 4 == 0) {
        env.put(CrashingPluginMain.KILL_AT_STEP, Integer.toString(1 + random.nextInt(2)));
        env.put(
            CrashingPluginMain.KILL_AT_STEP_NAME,
            TIME_SLICE_STEPS.get((rounds / 4) % TIME_SLICE_STEPS.size()));
      } else {
        // The first four steps of a start are recovery's.
        env.put(CrashingPluginMain.KILL_AT_STEP, Integer.toString(1 + random.nextInt(15)));
      }
      env.put(PluginConfig.METRICS_PORT, "-1");
      env.put(PluginConfig.DYNAMIC_MIG, Boolean.toString(dynamicMig));
      env.put(PluginConfig.SHARING_STRATEGIES, "Exclusive,TimeSlicing,MPS");
      env.put(PluginConfig.FRACTIONAL_GPUS, "true");
      if (rounds % UPGRADE_EVERY == 0) {
        LegacyCheckpoint.rewriteAsVersion1(node.checkpointFile());
      }
      PluginProcess plugin;
      try {
        plugin =
            PluginProcess.start(
                PluginProcess.Launch.of(env).withMainClass(CrashingPluginMain.class.getName()),
                log,
                Duration.ofSeconds(90));
      } catch (IllegalStateException diedBeforeServing) {
        // Killed during recovery: the next start must recover from that too.
        if (!String.valueOf(diedBeforeServing.getMessage()).contains("exited with 137")) {
          throw diedBeforeServing;
        }
        kills++;
        continue;
      }
      if (dynamicMig) {
        // Recovery has run: only completed claims may have instances.
        migProblems(node).forEach(p -> inconsistencies.add("after restart: " + p));
      }
      // Recovery has run: every recorded MPS GPU has its daemon, no other GPU one.
      MpsConsistency.problems(node).forEach(p -> inconsistencies.add("after restart: " + p));
      try (KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
        DraCalls dra =
            DraCalls.of(
                kubelet.registerRetrying(
                    kubelet.discoverRegistrationSockets().get(0), REGISTER_ATTEMPTS));
        if (interrupted != null) {
          apply(dra, interrupted, prepared, inconsistencies);
          interrupted = null;
          inconsistencies.addAll(check(node, all, prepared, deviceOf, dynamicMig));
        }
        while (true) {
          Call call = nextCall(random, all, prepared);
          interrupted = call;
          apply(dra, call, prepared, inconsistencies);
          interrupted = null;
        }
      } catch (StatusRuntimeException e) {
        if (!plugin.awaitExit(Duration.ofSeconds(30))) {
          inconsistencies.add(
              nodeName + " round " + rounds + ": call failed but plugin lives: " + e);
          plugin.kill();
        } else {
          kills++;
        }
      } finally {
        plugin.kill();
      }
      if (rounds % 3 == 0) {
        // The daemons die with the plugin's container now and then: recovery starts them again.
        MpsConsistency.killDaemons(node);
      }
    }
    // A final clean run: repeat what was cut off, then everything must be consistent.
    Map<String, String> env = new LinkedHashMap<>(node.env(client.getMasterUrl().toString()));
    env.put(PluginConfig.METRICS_PORT, "-1");
    env.put(PluginConfig.DYNAMIC_MIG, Boolean.toString(dynamicMig));
    env.put(PluginConfig.SHARING_STRATEGIES, "Exclusive,TimeSlicing,MPS");
    env.put(PluginConfig.FRACTIONAL_GPUS, "true");
    try (PluginProcess plugin = PluginProcess.start(env, log, Duration.ofSeconds(90));
        KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
      if (!plugin.alive()) {
        inconsistencies.add(nodeName + ": plugin died in the final clean run");
      }
      DraCalls dra =
          DraCalls.of(
              kubelet.registerRetrying(
                  kubelet.discoverRegistrationSockets().get(0), REGISTER_ATTEMPTS));
      if (interrupted != null) {
        apply(dra, interrupted, prepared, inconsistencies);
      }
      inconsistencies.addAll(check(node, all, prepared, deviceOf, dynamicMig));
      // Unpreparing everything leaves the owned GPUs empty.
      apply(dra, new Call(false, all), prepared, inconsistencies);
      if (MockTools.read(node.toolStateFile()).timeSlices().values().stream()
          .anyMatch(code -> code != 0)) {
        inconsistencies.add(nodeName + ": a time slice stayed after unpreparing every claim");
      }
      MockTools.State tools = MockTools.read(node.toolStateFile());
      if (!tools.runningDaemons().isEmpty()
          || tools.computeModes().values().stream().anyMatch(m -> !m.equals("DEFAULT"))) {
        inconsistencies.add(
            nodeName + ": MPS daemons or compute modes stayed after unpreparing every claim");
      }
      if (dynamicMig
          && MockMigState.read(node).stream().anyMatch(gi -> MIG_GPUS.contains(gi.gpu()))) {
        inconsistencies.add(nodeName + ": instances left after unpreparing every claim");
      }
    } finally {
      MpsConsistency.killDaemons(node);
    }
    return new NodeRun(
        nodeName,
        kills,
        rounds,
        (System.nanoTime() - started) / 1e9,
        inconsistencies,
        Files.readString(log, StandardCharsets.UTF_8));
  }

  // A pod's call: prepare some claims the kubelet does not hold, or unprepare some it holds.
  private static Call nextCall(Random random, List<PodClaim> all, Set<String> prepared) {
    List<PodClaim> free = all.stream().filter(c -> !prepared.contains(c.uid())).toList();
    List<PodClaim> held = all.stream().filter(c -> prepared.contains(c.uid())).toList();
    boolean prepare = held.isEmpty() || (!free.isEmpty() && random.nextBoolean());
    List<PodClaim> pool = new ArrayList<>(prepare ? free : held);
    java.util.Collections.shuffle(pool, random);
    return new Call(prepare, List.copyOf(pool.subList(0, 1 + random.nextInt(pool.size()))));
  }

  private static void apply(
      DraCalls dra, Call call, Set<String> prepared, List<String> inconsistencies) {
    Map<String, ClaimOutcome> outcome =
        call.prepare() ? dra.prepare(call.claims()) : dra.unprepare(call.claims());
    for (PodClaim c : call.claims()) {
      ClaimOutcome o = outcome.get(c.uid());
      if (call.prepare()) {
        if (o.ok()) {
          prepared.add(c.uid());
        } else if (!o.error().contains("already prepared for another claim")
            && !o.error().contains("Insufficient Resources (NVML error 23)")
            && !o.error().contains("a GPU has one time slice for all claims sharing it")
            && MpsConsistency.EXPECTED_REFUSALS.stream().noneMatch(o.error()::contains)) {
          inconsistencies.add("prepare of " + c.name() + " failed: " + o.error());
        }
      } else if (o.ok()) {
        prepared.remove(c.uid());
      } else {
        inconsistencies.add("unprepare of " + c.name() + " failed: " + o.error());
      }
    }
  }

  private static List<String> check(
      FakeNode node,
      List<PodClaim> all,
      Set<String> prepared,
      Map<String, List<String>> deviceOf,
      boolean dynamicMig)
      throws IOException {
    List<String> problems = new ArrayList<>();
    Checkpoint cp;
    try {
      cp = CheckpointCodec.decode(Files.readAllBytes(node.checkpointFile()));
    } catch (Exception e) {
      return List.of("checkpoint unreadable after convergence: " + e.getMessage());
    }
    Set<String> specs = new HashSet<>();
    if (Files.isDirectory(node.cdiDir())) {
      try (var files = Files.list(node.cdiDir())) {
        files
            .map(p -> p.getFileName().toString())
            .filter(n -> n.endsWith(".json"))
            .forEach(n -> specs.add(n.replaceAll("^.*claim_|\\.json$", "")));
      }
    }
    Set<String> defined = CdiSpecCheck.definedIds(node.cdiDir());
    for (PodClaim c : all) {
      boolean held = prepared.contains(c.uid());
      var entry = cp.claim(c.uid());
      if (held) {
        if (entry.isEmpty() || entry.get().state() != ClaimState.PREPARE_COMPLETED) {
          problems.add(c.name() + " prepared but checkpoint has " + entry);
        }
        if (!specs.contains(c.uid())) {
          problems.add(c.name() + " prepared but has no spec");
        }
        for (String device : deviceOf.get(c.uid())) {
          String id = "k8s.gpu.gpudra.dev/claim=" + c.uid() + "-" + device;
          if (!defined.contains(id)) {
            problems.add(c.name() + " CDI id " + id + " not in any spec");
          }
        }
      } else {
        entry.ifPresent(e -> problems.add(c.name() + " not prepared but has entry " + e.state()));
        if (specs.contains(c.uid())) {
          problems.add(c.name() + " not prepared but has a spec");
        }
      }
    }
    for (String uid : specs) {
      if (cp.claim(uid).isEmpty()) {
        problems.add("spec of " + uid + " without checkpoint entry");
      }
    }
    Map<String, String> holder = new HashMap<>();
    for (PreparedClaim claim : cp.entries()) {
      for (CheckpointedDevice d : claim.devices()) {
        // Time-sliced claims and shares share their GPU by design.
        if (d.timeSlice() != null || d.shareId() != null) {
          continue;
        }
        String other = holder.putIfAbsent(d.deviceName(), claim.uid());
        if (other != null && !d.adminAccess()) {
          problems.add(d.deviceName() + " held by " + other + " and " + claim.uid());
        }
      }
    }
    if (dynamicMig) {
      problems.addAll(migProblems(node));
    }
    problems.addAll(timeSliceProblems(node, cp));
    problems.addAll(MpsConsistency.problems(node));
    return problems;
  }

  /**
   * Differences between the GPUs' time slices, as the mock nvidia-smi holds them, and the
   * checkpoint: a GPU a completed entry time-slices runs that entry's interval (two entries never
   * disagree); a GPU no entry time-slices runs Default. Empty when they agree.
   */
  private static List<String> timeSliceProblems(FakeNode node, Checkpoint cp) {
    Map<String, String> recorded = new HashMap<>();
    Set<String> mentioned = new HashSet<>();
    for (PreparedClaim claim : cp.entries()) {
      for (CheckpointedDevice d : claim.devices()) {
        if (d.timeSlice() == null) {
          continue;
        }
        mentioned.add(d.timeSlice().gpuUuid());
        if (claim.state() != ClaimState.PREPARE_COMPLETED) {
          continue;
        }
        String before = recorded.putIfAbsent(d.timeSlice().gpuUuid(), d.timeSlice().interval());
        if (before != null && !before.equals(d.timeSlice().interval())) {
          return List.of(
              "GPU " + d.timeSlice().gpuUuid() + " recorded with " + before + " and " + d);
        }
      }
    }
    MockTools.State state = MockTools.read(node.toolStateFile());
    List<String> problems = new ArrayList<>();
    recorded.forEach(
        (gpu, interval) -> {
          if (state.timeSlice(gpu) != SLICE_CODES.get(interval)) {
            problems.add(
                "GPU "
                    + gpu
                    + " runs time slice "
                    + state.timeSlice(gpu)
                    + ", recorded "
                    + interval);
          }
        });
    state
        .timeSlices()
        .forEach(
            (gpu, code) -> {
              if (code != 0 && !mentioned.contains(gpu)) {
                problems.add("GPU " + gpu + " runs time slice " + code + " but no claim holds it");
              }
            });
    return problems;
  }

  /**
   * Differences between the instances on the owned GPUs and those that completed checkpoint entries
   * record; empty when they are exactly the same.
   */
  private static List<String> migProblems(FakeNode node) throws IOException {
    Checkpoint cp;
    try {
      cp = CheckpointCodec.decode(Files.readAllBytes(node.checkpointFile()));
    } catch (Exception e) {
      return List.of("checkpoint unreadable: " + e.getMessage());
    }
    Set<MockMigState.GpuInstance> recorded = new HashSet<>();
    for (PreparedClaim claim : cp.entries()) {
      for (CheckpointedDevice d : claim.devices()) {
        if (d.dynamicMig() == null) {
          continue;
        }
        if (claim.state() != ClaimState.PREPARE_COMPLETED) {
          if (d.dynamicMig().instance() != null) {
            return List.of(claim.name() + " is not completed but records an instance");
          }
          continue;
        }
        Matcher m = MIG_NAME.matcher(d.deviceName());
        if (!m.matches() || d.dynamicMig().instance() == null) {
          return List.of(claim.name() + " completed without its instance: " + d);
        }
        recorded.add(
            new MockMigState.GpuInstance(
                Integer.parseInt(m.group(1)),
                d.dynamicMig().instance().gpuInstanceId(),
                d.dynamicMig().placementStart(),
                d.dynamicMig().placementSize(),
                List.of(d.dynamicMig().instance().computeInstanceId())));
      }
    }
    Set<MockMigState.GpuInstance> present = new HashSet<>();
    for (MockMigState.GpuInstance gi : MockMigState.read(node)) {
      if (MIG_GPUS.contains(gi.gpu())) {
        present.add(gi);
      }
    }
    if (present.equals(recorded)) {
      return List.of();
    }
    Set<MockMigState.GpuInstance> extra = new HashSet<>(present);
    extra.removeAll(recorded);
    Set<MockMigState.GpuInstance> missing = new HashSet<>(recorded);
    missing.removeAll(present);
    return List.of("MIG instances not recorded " + extra + ", recorded but missing " + missing);
  }
}
