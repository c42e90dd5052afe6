package dev.gpudra.plugin.dra;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.gpudra.cdi.ClaimSpecBuilder;
import dev.gpudra.cdi.DeviceMajors;
import dev.gpudra.cdi.MigMinors;
import dev.gpudra.cdi.io.CdiSpecWriter;
import dev.gpudra.cdi.spec.ContainerEdits;
import dev.gpudra.core.checkpoint.Checkpoint;
import dev.gpudra.core.config.NodeSharingPolicy;
import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigCounters;
import dev.gpudra.core.device.MigDevice;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.names.DriverNames;
import dev.gpudra.plugin.metrics.PluginMetrics;
import dev.gpudra.plugin.prepare.ClaimEffects;
import dev.gpudra.plugin.prepare.ClaimPreparer;
import dev.gpudra.plugin.prepare.ClaimUnpreparer;
import dev.gpudra.plugin.prepare.PreparePlanner;
import dev.gpudra.plugin.prepare.StepListener;
import dev.gpudra.plugin.state.CheckpointStore;
import dev.gpudra.plugin.state.NodeState;
import dev.gpudra.proto.dra.v1.Claim;
import dev.gpudra.proto.dra.v1.NodePrepareResourceResponse;
import dev.gpudra.proto.dra.v1.NodePrepareResourcesRequest;
import dev.gpudra.proto.dra.v1.NodePrepareResourcesResponse;
import dev.gpudra.proto.dra.v1.NodeUnprepareResourcesRequest;
import dev.gpudra.proto.dra.v1.NodeUnprepareResourcesResponse;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAllocationConfigurationBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResultBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Coverage-guided fuzzing of the plugin's DRA gRPC handling, from the kubelet's request message to
 * its answer, through the real preparer, unpreparer, checkpoint and CDI writer (on tmpfs) with an
 * in-memory claim source: malformed claim references, claims whose allocation names unknown
 * drivers, pools or devices, broken opaque configs, empty and huge batches, repeated UIDs.
 *
 * <p>What must hold for every input: each distinct UID of a request gets exactly one answer; no
 * answer comes from the preparer's catch-all for unexpected exceptions (that would be a bug shown
 * to users as a raw exception string); every CDI id handed out is well formed; and after the
 * kubelet unprepares what it asked for, no checkpoint entry and no CDI spec is left behind.
 */
class DraServiceFuzzTest {

  private static final String NODE = "node-a";
  private static final Pattern CDI_ID =
      Pattern.compile(
          "k8s\\.gpu\\.gpudra\\.dev/claim=[0-9a-fA-F-]{36}-[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final List<String> DEVICES =
      List.of(
          "gpu-0", "gpu-1", "gpu-2", "gpu-3", "gpu-3-mig-1g10gb-19-4", "gpu-9", "gpu-3-mig-x", "");
  private static final List<String> PARAMETERS =
      List.of(
          "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\"}",
          "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"GpuConfig\",\"sharing\":{\"strategy\":\"TimeSlicing\"}}",
          "{\"apiVersion\":\"gpu.gpudra.dev/v1\",\"kind\":\"MigDeviceConfig\",\"sharing\":{\"strategy\":\"MPS\"}}",
          "{\"apiVersion\":\"gpu.gpudra.dev/v2\",\"kind\":\"GpuConfig\"}",
          "{\"kind\":\"GpuConfig\",\"unknown\":1}");

  private static final Map<String, ResourceClaim> CLAIMS = new HashMap<>();
  private static final boolean[] API_DOWN = {false};
  private static NodeState state;
  private static CdiSpecWriter writer;
  private static DraV1Service service;

  @FuzzTest(maxDuration = "10s")
  void everyClaimGetsOneTypedAnswerAndNothingLeaks(FuzzedDataProvider data) {
    setUpOnce();
    CLAIMS.clear();
    API_DOWN[0] = data.consumeProbabilityDouble() < 0.05;
    boolean huge = data.consumeProbabilityDouble() < 0.02;
    int count = huge ? 2000 : data.consumeInt(0, 40);
    NodePrepareResourcesRequest.Builder request = NodePrepareResourcesRequest.newBuilder();
    for (int i = 0; i < count; i++) {
      Claim claim = claimRef(data, i);
      request.addClaims(claim);
      if (data.consumeBoolean()) {
        CLAIMS.put(claim.getNamespace() + "/" + claim.getName(), resourceClaim(data, claim));
      }
    }
    Set<String> uids = new LinkedHashSet<>();
    request.getClaimsList().forEach(c -> uids.add(c.getUid()));

    NodePrepareResourcesResponse prepared = call(service::nodePrepareResources, request.build());

    assertThat(prepared.getClaimsMap().keySet()).isEqualTo(uids);
    for (NodePrepareResourceResponse answer : prepared.getClaimsMap().values()) {
      assertThat(answer.getError()).doesNotContain("preparing failed:");
      answer
          .getDevicesList()
          .forEach(d -> d.getCdiDeviceIdsList().forEach(id -> assertThat(id).matches(CDI_ID)));
    }

    NodeUnprepareResourcesResponse unprepared =
        call(
            service::nodeUnprepareResources,
            NodeUnprepareResourcesRequest.newBuilder()
                .addAllClaims(request.getClaimsList())
                .build());
    assertThat(unprepared.getClaimsMap().keySet()).isEqualTo(uids);
    unprepared
        .getClaimsMap()
        .values()
        .forEach(a -> assertThat(a.getError()).doesNotContain("unpreparing failed:"));
    assertThat(state.snapshot().claims()).isEmpty();
    assertThat(writer.listClaimUids()).isEmpty();
  }

  private static Claim claimRef(FuzzedDataProvider data, int i) {
    String uid =
        switch (data.consumeInt(0, 3)) {
          case 0 -> data.consumeString(40);
          case 1 -> "";
          default -> uuid(data);
        };
    return Claim.newBuilder()
        .setUid(uid)
        .setNamespace(data.consumeBoolean() ? "ml" : data.consumeString(10))
        .setName(data.consumeBoolean() ? "c" + (i % 8) : data.consumeString(10))
        .build();
  }

  private static ResourceClaim resourceClaim(FuzzedDataProvider data, Claim ref) {
    ResourceClaimBuilder claim =
        new ResourceClaimBuilder()
            .withNewMetadata()
            .withNamespace(ref.getNamespace())
            .withName(ref.getName())
            .withUid(data.consumeBoolean() ? ref.getUid() : uuid(data))
            .endMetadata();
    if (data.consumeProbabilityDouble() < 0.1) {
      return claim.build(); // never allocated
    }
    List<DeviceRequestAllocationResult> results = new ArrayList<>();
    int n = data.consumeInt(0, 6);
    for (int r = 0; r < n; r++) {
      results.add(
          new DeviceRequestAllocationResultBuilder()
              .withRequest(data.consumeBoolean() ? "gpu" : data.consumeString(8))
              .withDriver(data.consumeBoolean() ? DriverNames.DRIVER : data.consumeString(12))
              .withPool(data.consumeBoolean() ? NODE : data.consumeString(8))
              .withDevice(data.consumeBoolean() ? data.pickValue(DEVICES) : data.consumeString(20))
              .withAdminAccess(data.pickValue(new Boolean[] {null, true, false}))
              .build());
    }
    var allocation =
        claim.withNewStatus().withNewAllocation().withNewDevices().withResults(results);
    int configs = data.consumeInt(0, 2);
    for (int c = 0; c < configs; c++) {
      Object parameters =
          switch (data.consumeInt(0, 3)) {
            case 0 -> null;
            case 1 -> data.consumeString(30);
            default ->
                io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                    data.pickValue(PARAMETERS), Map.class);
          };
      allocation.addToConfig(
          new DeviceAllocationConfigurationBuilder()
              .withSource(data.pickValue(new String[] {"FromClaim", "FromClass", "", "x"}))
              .withRequests(data.consumeBoolean() ? List.of() : List.of("gpu"))
              .withNewOpaque()
              .withDriver(DriverNames.DRIVER)
              .withParameters(parameters)
              .endOpaque()
              .build());
    }
    return allocation.endDevices().endAllocation().endStatus().build();
  }

  private static String uuid(FuzzedDataProvider data) {
    return String.format(
        Locale.ROOT,
        "%08x-%04x-%04x-%04x-%012x",
        data.consumeInt(0, 3),
        0,
        0x4000,
        0x8000,
        (long) data.consumeInt(0, 15));
  }

  private interface Call<Q, A> {
    void invoke(Q request, StreamObserver<A> answer);
  }

  /** A unary call without a channel: the answer the service sends, or the failure it raised. */
  private static <Q, A> A call(Call<Q, A> method, Q request) {
    List<A> answers = new ArrayList<>();
    method.invoke(
        request,
        new StreamObserver<>() {
          @Override
          public void onNext(A value) {
            answers.add(value);
          }

          @Override
          public void onError(Throwable t) {
            throw new AssertionError("the service failed the whole call", t);
          }

          @Override
          public void onCompleted() {}
        });
    assertThat(answers).hasSize(1);
    return answers.get(0);
  }

  private static synchronized void setUpOnce() {
    if (service != null) {
      return;
    }
    try {
      // tmpfs: a prepare's fsyncs cost microseconds, so the fuzzer spends its time in our code.
      Path root = Files.createTempDirectory(Path.of("/dev/shm"), "gpudra-fuzz-dra");
      // Memory, not disk: given back when the JVM ends.
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
      CheckpointStore store = new CheckpointStore(root.resolve("checkpoint"), Clock.systemUTC());
      state = new NodeState(store, Checkpoint.empty("fuzz-boot"));
      writer = new CdiSpecWriter(root.resolve("cdi"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    PreparePlanner planner =
        new PreparePlanner(
            DriverNames.DRIVER,
            NODE,
            inventory(),
            MigMinors.parse("gpu3/gi7/access 66\ngpu3/gi7/ci0/access 67\n"),
            NodeSharingPolicy.exclusiveOnly("GPUDRA_SHARING_STRATEGIES"),
            false);
    DraService dra =
        new DraService(
            new ClaimPreparer(
                (namespace, name) -> {
                  if (API_DOWN[0]) {
                    throw new KubernetesClientException("connection refused");
                  }
                  return Optional.ofNullable(CLAIMS.get(namespace + "/" + name));
                },
                planner,
                state,
                ClaimEffects.NONE,
                new ClaimSpecBuilder(new DeviceMajors(195, 508, 511), ContainerEdits.NONE),
                writer,
                StepListener.NONE,
                PluginMetrics.NOOP),
            new ClaimUnpreparer(
                state, ClaimEffects.NONE, writer, StepListener.NONE, PluginMetrics.NOOP));
    service = new DraV1Service(dra);
  }

  private static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException | UncheckedIOException e) {
      System.err.println("left " + root + ": " + e.getMessage());
    }
  }

  /** Three whole A100s and one in MIG mode holding a 1g.10gb device. */
  private static NodeInventory inventory() {
    List<Gpu> gpus = new ArrayList<>();
    for (int minor = 0; minor < 4; minor++) {
      String uuid = String.format(Locale.ROOT, "GPU-00000000-0000-4000-8000-%012d", minor);
      MigMode mode = minor == 3 ? new MigMode(true, true, false) : MigMode.NOT_CAPABLE;
      List<MigDevice> migs =
          minor == 3
              ? List.of(
                  new MigDevice(
                      "MIG-00000000-0000-4000-8000-0000000000aa",
                      uuid,
                      3,
                      "1g.10gb",
                      19,
                      7,
                      0,
                      new MigPlacement(4, 1),
                      10L << 30,
                      new MigCounters(1, 14, 1, 0, 0, 0, 0)))
              : List.of();
      gpus.add(
          new Gpu(
              minor,
              minor,
              uuid,
              "NVIDIA A100-SXM4-80GB",
              "Nvidia",
              "Ampere",
              "8.0",
              80L << 30,
              "0000:0" + minor + ":00.0",
              mode,
              List.of(),
              migs));
    }
    return new NodeInventory("580.95.05", "13.0", gpus, List.of());
  }
}
