package dev.gpudra.plugin.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.testkit.kubelet.ClaimOutcome;
import dev.gpudra.testkit.kubelet.DraCalls;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import dev.gpudra.testkit.kubelet.PodClaim;
import dev.gpudra.testkit.node.Claims;
import dev.gpudra.testkit.node.FakeNode;
import dev.gpudra.testkit.node.MockTools;
import dev.gpudra.testkit.node.PluginProcess;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAllocationConfiguration;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * MPS on a fake A100 node whose plugin enables {@code MPS} and fractional GPUs, with the mock
 * {@code nvidia-cuda-mps-control} and {@code nvidia-smi} in the driver root: claims on one GPU,
 * from different namespaces, share one control daemon and get their own limits in their containers'
 * environment; another GPU gets a daemon of its own; the daemon runs with compute mode {@code
 * EXCLUSIVE_PROCESS} and the defaults an MPS claim asks for, and goes (with its directories, the
 * mode restored) when the last claim using it is unprepared. After the plugin is killed, its
 * restart adopts a daemon that survived, starts again one that did not for the claims still
 * recorded, and stops one that no claim holds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnableKubernetesMockClient(crud = true, https = false)
class MpsIT {

  private static final String NODE = "node-mps";
  private static final String MPS_CONFIG =
      "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"sharing\":{\"strategy\":"
          + "\"MPS\",\"mpsConfig\":{\"defaultActiveThreadPercentage\":40,"
          + "\"defaultPinnedDeviceMemoryLimit\":\"8Gi\"}}}";

  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir static Path root;
  private FakeNode node;
  private Map<String, String> env;
  private PluginProcess plugin;
  private KubeletEmulator kubelet;
  private DraCalls dra;
  private Claims agents;
  private Claims inference;
  private Map<Integer, String> uuids;

  @BeforeAll
  void startPlugin() throws IOException {
    node = FakeNode.create(root, NODE, "a100-8x");
    env = new LinkedHashMap<>(node.env(client.getMasterUrl().toString()));
    env.put("GPUDRA_SHARING_STRATEGIES", "Exclusive,TimeSlicing,MPS");
    env.put("GPUDRA_FRACTIONAL_GPUS", "true");
    uuids = node.gpuUuids();
    start();
    agents = new Claims(client, "agents");
    inference = new Claims(client, "inference");
  }

  private void start() throws IOException {
    plugin = PluginProcess.start(env, root.resolve("plugin.log"), Duration.ofSeconds(90));
    kubelet = new KubeletEmulator(node.registryDir());
    dra = DraCalls.of(kubelet.register(kubelet.discoverRegistrationSockets().get(0)));
  }

  private void stop() {
    if (kubelet != null) {
      kubelet.close();
    }
    if (plugin != null) {
      plugin.close();
    }
  }

  @AfterAll
  void stopPlugin() {
    stop();
    if (node != null) {
      MockTools.killDaemons(node.toolStateFile());
    }
  }

  private static PodClaim share(Claims claims, String name, String device, String mem, String pct) {
    return share(claims, name, device, mem, pct, List.of());
  }

  private static PodClaim share(
      Claims claims,
      String name,
      String device,
      String mem,
      String pct,
      List<DeviceAllocationConfiguration> configs) {
    DeviceRequestAllocationResult result = Claims.result("gpu", NODE, device, false);
    result.setShareID(UUID.randomUUID().toString());
    Map<String, Quantity> consumed = new LinkedHashMap<>();
    consumed.put("memory", new Quantity(mem));
    consumed.put("cores", new Quantity(pct));
    result.setConsumedCapacity(consumed);
    return claims.allocated(name, List.of(result), configs);
  }

  private PodClaim mps(String name, List<String> devices) {
    return agents.allocated(
        name,
        devices.stream().map(d -> Claims.result("gpu", NODE, d, false)).toList(),
        List.of(Claims.config("FromClaim", List.of(), MPS_CONFIG)));
  }

  private MockTools.State tools() {
    return MockTools.read(node.toolStateFile());
  }

  private Path gpuDir(String uuid) {
    return node.pluginDir().resolve("mps").resolve(uuid);
  }

  @Test
  void claimsOnOneGpuShareOneDaemonEachWithItsOwnLimitsUntilTheLastLeaves() throws IOException {
    String gpu = uuids.get(4);
    PodClaim a = share(agents, "agent-a", "gpu-4", "8Gi", "10");
    PodClaim b = share(inference, "server-b", "gpu-4", "16Gi", "30");

    assertThat(dra.prepare(List.of(a)).get(a.uid()).error()).isEmpty();
    assertThat(dra.prepare(List.of(b)).get(b.uid()).error()).isEmpty();

    MockTools.MpsDaemon daemon = tools().runningDaemons().get(gpu);
    assertThat(daemon).as("one daemon serves GPU %s", gpu).isNotNull();
    assertThat(tools().computeMode(gpu)).isEqualTo("EXCLUSIVE_PROCESS");
    assertThat(MockTools.log(node.toolStateFile()))
        .as("started once for both claims")
        .containsOnlyOnce("nvidia-cuda-mps-control -d " + gpu);
    String pipe = gpuDir(gpu).resolve("pipe").toString();
    assertThat(Files.readString(spec(a)))
        .contains("CUDA_MPS_PIPE_DIRECTORY=/tmp/nvidia-mps")
        .contains("\"hostPath\" : \"" + pipe + "\"")
        .contains("\"hostPath\" : \"" + gpuDir(gpu).resolve("shm") + "\"")
        .contains("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=10")
        .contains("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=" + gpu + "=8192M");
    assertThat(Files.readString(spec(b)))
        .contains("\"hostPath\" : \"" + pipe + "\"")
        .contains("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=30")
        .contains("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=" + gpu + "=16384M");

    assertThat(metrics())
        .contains("gpudra_mps_daemon_running{device=\"gpu-4\"} 1")
        .contains("gpudra_mps_daemon_starts_total{device=\"gpu-4\"} 1")
        .contains("gpudra_mps_daemon_running{device=\"gpu-2\"} 0");

    assertThat(dra.unprepare(List.of(a)).get(a.uid()).ok()).isTrue();
    assertThat(tools().runningDaemons().get(gpu)).as("server-b still uses it").isEqualTo(daemon);

    assertThat(dra.unprepare(List.of(b)).get(b.uid()).ok()).isTrue();
    assertThat(tools().runningDaemons()).doesNotContainKey(gpu);
    assertThat(daemon.running()).isFalse();
    assertThat(tools().computeMode(gpu)).isEqualTo("DEFAULT");
    assertThat(gpuDir(gpu)).doesNotExist();
    assertThat(metrics()).contains("gpudra_mps_daemon_running{device=\"gpu-4\"} 0");
    assertThat(MockTools.log(node.toolStateFile()))
        .containsSubsequence(
            "nvidia-smi -i " + gpu + " -c EXCLUSIVE_PROCESS",
            "nvidia-cuda-mps-control -d " + gpu,
            "nvidia-cuda-mps-control quit " + gpu,
            "nvidia-smi -i " + gpu + " -c DEFAULT");
  }

  @Test
  void anMpsClaimsDefaultsAreSetOnItsDaemonAndAnotherGpuGetsADaemonOfItsOwn() throws IOException {
    String gpu5 = uuids.get(5);
    String gpu6 = uuids.get(6);
    PodClaim whole = mps("mps-whole", List.of("gpu-5"));
    PodClaim other = share(inference, "other-gpu", "gpu-6", "4Gi", "20");

    Map<String, ClaimOutcome> outcome = dra.prepare(List.of(whole, other));

    assertThat(outcome.get(whole.uid()).error()).isEmpty();
    assertThat(outcome.get(other.uid()).error()).isEmpty();
    Map<String, MockTools.MpsDaemon> daemons = tools().runningDaemons();
    assertThat(daemons).containsKeys(gpu5, gpu6);
    assertThat(daemons.get(gpu5).pid()).isNotEqualTo(daemons.get(gpu6).pid());
    assertThat(daemons.get(gpu5).defaultActiveThreadPercentage()).isEqualTo(40);
    assertThat(daemons.get(gpu5).defaultPinnedMemoryLimit()).isEqualTo(gpu5 + "=8192M");
    assertThat(daemons.get(gpu6).defaultActiveThreadPercentage())
        .as("a share's limits are its clients' own, not the daemon's")
        .isNull();
    assertThat(Files.readString(spec(whole)))
        .contains("GPUDRA_DEVICE_GPU_5_SHARING_STRATEGY=MPS")
        .contains("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=40")
        .contains("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=" + gpu5 + "=8192M")
        .contains("\"hostPath\" : \"" + gpuDir(gpu5).resolve("pipe") + "\"");

    assertThat(dra.unprepare(List.of(whole, other)).values()).allMatch(ClaimOutcome::ok);
    assertThat(tools().runningDaemons()).doesNotContainKeys(gpu5, gpu6);
    assertThat(tools().computeMode(gpu5)).isEqualTo("DEFAULT");
  }

  @Test
  void mpsIsRefusedWithTheReasonOnMigDevicesSeveralGpusAndATimeSlicedGpu() {
    PodClaim mig =
        agents.allocated(
            "mps-mig",
            List.of(Claims.result("gpu", NODE, "gpu-0-mig-1g10gb-19-4", false)),
            List.of(
                Claims.config(
                    "FromClaim",
                    List.of(),
                    "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"MigDeviceConfig\","
                        + "\"sharing\":{\"strategy\":\"MPS\"}}")));
    PodClaim two = mps("mps-two", List.of("gpu-6", "gpu-7"));
    PodClaim sliced =
        agents.allocated(
            "sliced",
            List.of(Claims.result("gpu", NODE, "gpu-7", false)),
            List.of(
                Claims.config(
                    "FromClaim",
                    List.of(),
                    "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"sharing\":"
                        + "{\"strategy\":\"TimeSlicing\"}}")));
    PodClaim onSliced = mps("on-sliced", List.of("gpu-7"));
    assertThat(dra.prepare(List.of(sliced)).get(sliced.uid()).error()).isEmpty();

    Map<String, ClaimOutcome> outcome = dra.prepare(List.of(mig, two, onSliced));

    assertThat(outcome.get(mig.uid()).error())
        .contains("MPS on MIG device gpu-0-mig-1g10gb-19-4 is not supported")
        .contains("compute mode cannot be set to EXCLUSIVE_PROCESS");
    assertThat(outcome.get(two.uid()).error())
        .contains("devices [gpu-6, gpu-7]")
        .contains("one GPU shared through MPS per claim");
    assertThat(outcome.get(onSliced.uid()).error())
        .contains("device gpu-7 asks for MPS but its GPU " + uuids.get(7) + " is time-sliced")
        .contains("agents/sliced")
        .contains("MPS needs compute mode EXCLUSIVE_PROCESS, time-slicing DEFAULT");
    assertThat(tools().runningDaemons()).doesNotContainKey(uuids.get(7));
    assertThat(dra.unprepare(List.of(sliced, mig, two, onSliced)).values())
        .allMatch(ClaimOutcome::ok);
  }

  @Test
  void aShareTakesItsLimitsFromItsCapacityAndRefusesMpsConfigLimitsNamingTheField()
      throws IOException {
    String gpu = uuids.get(6);
    PodClaim limited = withConfig(agents, "limited-share", "gpu-6", MPS_CONFIG);
    PodClaim plain =
        withConfig(
            inference,
            "plain-mps-share",
            "gpu-6",
            "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"sharing\":"
                + "{\"strategy\":\"MPS\"}}");

    Map<String, ClaimOutcome> outcome = dra.prepare(List.of(limited, plain));

    assertThat(outcome.get(limited.uid()).error())
        .contains(
            "sharing.mpsConfig.defaultActiveThreadPercentage cannot apply to device gpu-6, which"
                + " is allocated as a share of its GPU")
        .contains("capacity.requests memory and cores");
    assertThat(outcome.get(plain.uid()).error()).isEmpty();
    assertThat(Files.readString(spec(plain)))
        .contains("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=10")
        .contains("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=" + gpu + "=4096M");
    assertThat(tools().runningDaemons().get(gpu).defaultActiveThreadPercentage())
        .as("no claim's config became the shared daemon's default")
        .isNull();
    assertThat(dra.unprepare(List.of(limited, plain)).values()).allMatch(ClaimOutcome::ok);
    assertThat(tools().runningDaemons()).doesNotContainKey(gpu);
  }

  // A share of 4Gi and 10% of {@code device} whose claim carries GpuConfig {@code config}.
  private static PodClaim withConfig(Claims claims, String name, String device, String config) {
    return share(
        claims, name, device, "4Gi", "10", List.of(Claims.config("FromClaim", List.of(), config)));
  }

  @Test
  void aRestartAdoptsLiveDaemonsRestartsDeadOnesAndStopsOnesNoClaimHolds() throws Exception {
    String gpu1 = uuids.get(3);
    String gpu2 = uuids.get(5);
    String gpu3 = uuids.get(7);
    PodClaim survivor = share(agents, "survivor", "gpu-3", "2Gi", "10");
    PodClaim orphaned = mps("orphaned", List.of("gpu-5"));
    assertThat(dra.prepare(List.of(survivor, orphaned)).values()).allMatch(ClaimOutcome::ok);
    long survivorPid = tools().runningDaemons().get(gpu1).pid();
    MockTools.MpsDaemon dead = tools().runningDaemons().get(gpu2);

    // The plugin crashes; the daemon of gpu-5 dies (say with the plugin's container), and a
    // daemon of gpu-7 was left running for a claim that is gone.
    plugin.kill();
    stop();
    dead.kill();
    startStray(gpu3);
    assertThat(tools().runningDaemons()).containsKey(gpu3).doesNotContainKey(gpu2);
    start();

    Map<String, MockTools.MpsDaemon> after = tools().runningDaemons();
    assertThat(after.get(gpu1).pid()).as("adopted, not restarted").isEqualTo(survivorPid);
    assertThat(after.get(gpu2)).as("started again for the recorded claim").isNotNull();
    assertThat(after.get(gpu2).pid()).isNotEqualTo(dead.pid());
    assertThat(after.get(gpu2).defaultActiveThreadPercentage())
        .as("with the recorded defaults")
        .isEqualTo(40);
    assertThat(after).doesNotContainKey(gpu3);
    assertThat(tools().computeMode(gpu3)).isEqualTo("DEFAULT");
    assertThat(gpuDir(gpu3)).doesNotExist();
    assertThat(metrics())
        .as("the new plugin process counts the daemon it started, not the one it adopted")
        .contains("gpudra_mps_daemon_running{device=\"gpu-3\"} 1")
        .contains("gpudra_mps_daemon_starts_total{device=\"gpu-3\"} 0")
        .contains("gpudra_mps_daemon_running{device=\"gpu-5\"} 1")
        .contains("gpudra_mps_daemon_starts_total{device=\"gpu-5\"} 1")
        .contains("gpudra_mps_daemon_running{device=\"gpu-7\"} 0");
    // The claims are still prepared as before: repeated prepares answer from the checkpoint.
    assertThat(dra.prepare(List.of(survivor, orphaned)).values()).allMatch(ClaimOutcome::ok);

    assertThat(dra.unprepare(List.of(survivor, orphaned)).values()).allMatch(ClaimOutcome::ok);
    assertThat(tools().runningDaemons()).doesNotContainKeys(gpu1, gpu2);
  }

  // A daemon started as the plugin starts them, for a GPU no claim holds.
  private void startStray(String gpu) throws IOException, InterruptedException {
    Path dir = gpuDir(gpu);
    Files.createDirectories(dir.resolve("log"));
    ProcessBuilder smi =
        new ProcessBuilder(
            node.driverRoot().resolve("usr/bin/nvidia-smi").toString(),
            "-i",
            gpu,
            "-c",
            "EXCLUSIVE_PROCESS");
    ProcessBuilder control =
        new ProcessBuilder(
            node.driverRoot().resolve("usr/bin/nvidia-cuda-mps-control").toString(), "-d");
    control.environment().put("CUDA_MPS_PIPE_DIRECTORY", dir.resolve("pipe").toString());
    control.environment().put("CUDA_MPS_LOG_DIRECTORY", dir.resolve("log").toString());
    control.environment().put("CUDA_VISIBLE_DEVICES", gpu);
    for (ProcessBuilder b : List.of(smi, control)) {
      b.environment().put(MockTools.STATE_ENV, node.toolStateFile().toString());
      assertThat(
              b.redirectErrorStream(true)
                  .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                  .start()
                  .waitFor())
          .isZero();
    }
  }

  /** The running plugin's Prometheus metrics, from the port its last start logged. */
  private String metrics() throws IOException {
    Matcher port =
        Pattern.compile("metrics and /healthz on port (\\d+)")
            .matcher(Files.readString(root.resolve("plugin.log")));
    String last = null;
    while (port.find()) {
      last = port.group(1);
    }
    assertThat(last).as("metrics port logged").isNotNull();
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + last + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private Path spec(PodClaim claim) {
    return node.cdiDir().resolve("k8s.gpu.gpudra.dev-claim_" + claim.uid() + ".json");
  }
}
