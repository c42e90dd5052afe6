package dev.gpudra.plugin.bench;

import dev.gpudra.plugin.PluginConfig;
import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.node.Claims;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Prepare latency as the kubelet sees it (one gRPC call per pod over the unix socket, claim read
 * from the API server, checkpoint saved twice with fsync, CDI spec written with fsync), for one
 * claim at a time and for 32 pods calling at once. Not a test: it asserts nothing and prints a
 * table. The plugin runs as its own JVM on a fake A100 node with the mock NVML library; the API
 * server is fabric8's mock server.
 *
 * <p>The node has four whole GPUs, so the 32 concurrent claims are admin-access claims spread over
 * them: the same prepare path, without the exclusivity refusal.
 *
 * <p>Run: {@code ./mvnw -B verify -pl kubelet-plugin -am -Pbench -DskipTests -DskipITs}
 */
public final class PrepareLatencyBenchmark {

  private static final String NODE = "node-a";
  private static final int WARM_UP = 50;
  private static final int SINGLE = 300;
  private static final int ROUNDS = 10;
  private static final int CONCURRENT = 32;

  private PrepareLatencyBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path root = Files.createTempDirectory("gpudra-bench");
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    server.init();
    try (KubernetesClient client = server.createClient()) {
      FakeNode node = FakeNode.create(root, NODE, "a100-8x");
      Map<String, String> env = new HashMap<>(node.env(client.getMasterUrl().toString()));
      env.put(PluginConfig.METRICS_PORT, "-1");
      Claims claims = new Claims(client, "bench");
      try (PluginProcess plugin =
              PluginProcess.start(env, root.resolve("plugin.log"), Duration.ofMinutes(2));
          KubeletEmulator kubelet = new KubeletEmulator(node.registryDir())) {
        System.out.println("plugin JVM pid " + plugin.pid() + ", files under " + root);
        DraCalls dra = DraCalls.of(kubelet.register(kubelet.discoverRegistrationSockets().get(0)));
        String[] gpus = {"gpu-4", "gpu-5", "gpu-6", "gpu-7"};

        single(dra, claims, gpus, WARM_UP, "warm");
        List<Long> single = single(dra, claims, gpus, SINGLE, "one");

        List<Long> concurrent = new ArrayList<>();
        try (ExecutorService pods = Executors.newFixedThreadPool(CONCURRENT)) {
          for (int round = 0; round < ROUNDS; round++) {
            List<PodClaim> batch = new ArrayList<>();
            for (int i = 0; i < CONCURRENT; i++) {
              batch.add(
                  claims.allocated(
                      "many-" + round + "-" + i,
                      List.of(Claims.result("gpu", NODE, gpus[i % gpus.length], true)),
                      List.of()));
            }
            List<Future<Long>> calls = new ArrayList<>();
            for (PodClaim claim : batch) {
              calls.add(pods.submit(() -> timedPrepare(dra, claim)));
            }
            for (Future<Long> call : calls) {
              concurrent.add(call.get());
            }
            dra.unprepare(batch);
          }
        }

        System.out.println();
        System.out.println("Prepare latency (kubelet emulator -> plugin JVM over the unix socket)");
        System.out.printf(
            Locale.ROOT,
            "%-28s %8s %10s %10s %10s%n",
            "scenario",
            "samples",
            "p50 ms",
            "p99 ms",
            "max ms");
        row("1 claim at a time", single);
        row(CONCURRENT + " pods concurrently", concurrent);
        System.out.printf(
            Locale.ROOT,
            "cpus %d, load average %s%n",
            Runtime.getRuntime().availableProcessors(),
            Files.readString(Path.of("/proc/loadavg")).trim());
      }
    } finally {
      server.destroy();
    }
  }

  private static List<Long> single(
      DraCalls dra, Claims claims, String[] gpus, int count, String prefix) {
    List<Long> samples = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      PodClaim claim =
          claims.allocated(
              prefix + "-" + i,
              List.of(Claims.result("gpu", NODE, gpus[i % gpus.length], false)),
              List.of());
      samples.add(timedPrepare(dra, claim));
      dra.unprepare(List.of(claim));
    }
    return samples;
  }

  private static long timedPrepare(DraCalls dra, PodClaim claim) {
    long start = System.nanoTime();
    ClaimOutcome outcome = dra.prepare(List.of(claim)).get(claim.uid());
    long nanos = System.nanoTime() - start;
    if (!outcome.ok()) {
      throw new IllegalStateException("prepare failed: " + outcome.error());
    }
    return nanos;
  }

  private static void row(String name, List<Long> nanos) {
    List<Long> sorted = nanos.stream().sorted().toList();
    System.out.printf(
        Locale.ROOT,
        "%-28s %8d %10.2f %10.2f %10.2f%n",
        name,
        sorted.size(),
        percentile(sorted, 0.50) / 1e6,
        percentile(sorted, 0.99) / 1e6,
        sorted.get(sorted.size() - 1) / 1e6);
  }

  private static long percentile(List<Long> sorted, double p) {
    int index = (int) Math.ceil(p * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
  }
}
