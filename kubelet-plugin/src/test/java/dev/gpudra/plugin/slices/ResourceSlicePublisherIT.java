package dev.gpudra.plugin.slices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.core.device.Gpu;
import dev.gpudra.core.device.MigCounters;
import dev.gpudra.core.device.MigMode;
import dev.gpudra.core.device.MigPlacement;
import dev.gpudra.core.device.MigProfile;
import dev.gpudra.core.device.NodeInventory;
import dev.gpudra.core.slice.ResourceSliceMapper;
import dev.gpudra.core.slice.SliceMappingOptions;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class ResourceSlicePublisherIT {

  private static final String DRIVER = "gpu.gpudra.dev";
  private static final String NODE = "gpu-node-1";

  KubernetesMockServer server;
  KubernetesClient client;

  private ResourceSlicePublisher publisher;

  @BeforeEach
  void createNode() {
    client
        .nodes()
        .resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
        .create();
    publisher = new ResourceSlicePublisher(client, DRIVER, NODE);
  }

  private static Gpu h100(int minor, boolean migOn) {
    MigProfile oneG =
        new MigProfile(
            0,
            19,
            "1g.10gb",
            1,
            9856L << 20,
            new MigCounters(1, 16, 1, 1, 0, 1, 0),
            7,
            IntStream.range(0, 7).mapToObj(s -> new MigPlacement(s, 1)).toList());
    MigProfile twoG =
        new MigProfile(
            1,
            14,
            "2g.20gb",
            2,
            19968L << 20,
            new MigCounters(2, 32, 2, 1, 0, 1, 0),
            3,
            List.of(new MigPlacement(0, 2), new MigPlacement(2, 2), new MigPlacement(4, 2)));
    MigProfile sevenG =
        new MigProfile(
            4,
            0,
            "7g.80gb",
            7,
            80768L << 20,
            new MigCounters(8, 132, 8, 7, 0, 7, 1),
            1,
            List.of(new MigPlacement(0, 8)));
    return new Gpu(
        minor,
        minor,
        "GPU-00000000-0000-4000-8000-00000000000" + minor,
        "NVIDIA H100 80GB HBM3",
        "Nvidia",
        "Hopper",
        "9.0",
        81559L << 20,
        String.format("0000:%02x:00.0", 0x18 + minor),
        new MigMode(true, migOn, migOn),
        List.of(oneG, twoG, sevenG),
        List.of());
  }

  private static List<ResourceSliceSpec> slicesFor(int gpus, boolean dynamicMig) {
    // With dynamic MIG the GPUs are in MIG mode and offered as placements: 11 devices per GPU, so
    // eight GPUs need two device slices of at most 64 (and one of counters), one GPU only one.
    // Without, each GPU is offered whole.
    List<Gpu> list = IntStream.range(0, gpus).mapToObj(minor -> h100(minor, dynamicMig)).toList();
    return ResourceSliceMapper.map(
        new NodeInventory("550.54.15", "12.4", list, List.of()),
        new SliceMappingOptions(DRIVER, NODE, dynamicMig));
  }

  private List<ResourceSlice> published() {
    return client.dynamicResourceAllocation().v1().resourcesSlices().list().getItems();
  }

  @Test
  void firstPublishCreatesEverySliceWithLabelOwnerAndExactCount() {
    List<ResourceSliceSpec> desired = slicesFor(8, true);

    ResourceSlicePublisher.Outcome outcome = publisher.publish(desired);

    assertThat(outcome.created()).isEqualTo(desired.size());
    assertThat(outcome.generation()).isEqualTo(1);
    assertThat(published()).hasSize(desired.size());
    assertThat(published())
        .allSatisfy(
            slice -> {
              assertThat(slice.getMetadata().getLabels())
                  .containsEntry(ResourceSlicePublisher.NODE_LABEL, NODE);
              assertThat(slice.getMetadata().getOwnerReferences())
                  .singleElement()
                  .satisfies(o -> assertThat(o.getKind()).isEqualTo("Node"));
              assertThat(slice.getSpec().getPool().getGeneration()).isEqualTo(1L);
              assertThat(slice.getSpec().getPool().getResourceSliceCount())
                  .isEqualTo((long) desired.size());
            });
  }

  @Test
  void unchangedInventoryMakesZeroWritesOverManyResyncs() {
    List<ResourceSliceSpec> desired = slicesFor(8, true);
    publisher.publish(desired);
    long writesAfterFirst = publisher.writes();

    int resyncs = 20;
    for (int i = 0; i < resyncs; i++) {
      assertThat(publisher.publish(slicesFor(8, true)).writes()).isZero();
    }

    System.out.printf(
        "publisher: %d slices; first publish %d writes; %d unchanged resyncs %d writes%n",
        desired.size(), writesAfterFirst, resyncs, publisher.writes() - writesAfterFirst);
    assertThat(publisher.writes()).isEqualTo(writesAfterFirst);
  }

  @Test
  void aDeviceChangeBumpsTheGenerationOnce() {
    publisher.publish(slicesFor(2, false));

    ResourceSlicePublisher.Outcome changed = publisher.publish(slicesFor(3, false));
    ResourceSlicePublisher.Outcome again = publisher.publish(slicesFor(3, false));

    assertThat(changed.generation()).isEqualTo(2);
    assertThat(changed.writes()).isPositive();
    assertThat(again.writes()).isZero();
    assertThat(again.generation()).isEqualTo(2);
    assertThat(published())
        .allSatisfy(s -> assertThat(s.getSpec().getPool().getGeneration()).isEqualTo(2L));
    assertThat(published().getFirst().getSpec().getDevices()).hasSize(3);
  }

  @Test
  void shrinkingWritesTheNewGenerationBeforeDeletingObsoleteSlices() throws Exception {
    publisher.publish(slicesFor(8, true));
    int before = published().size();
    int requestsBefore = server.getRequestCount();

    ResourceSlicePublisher.Outcome outcome = publisher.publish(slicesFor(1, true));

    List<ResourceSliceSpec> desired = slicesFor(1, true);
    assertThat(outcome.deleted()).isEqualTo(before - desired.size());
    assertThat(published()).hasSize(desired.size());
    assertThat(published())
        .allSatisfy(
            s -> {
              assertThat(s.getSpec().getPool().getGeneration()).isEqualTo(2L);
              assertThat(s.getSpec().getPool().getResourceSliceCount())
                  .isEqualTo((long) desired.size());
            });
    List<String> writeMethods = new ArrayList<>();
    int newRequests = server.getRequestCount() - requestsBefore;
    // drain the requests the first publish made, then keep the second publish's writes
    List<RecordedRequest> all = new ArrayList<>();
    RecordedRequest request;
    while ((request = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
      all.add(request);
    }
    for (RecordedRequest r : all.subList(all.size() - newRequests, all.size())) {
      if (r.getPath().contains("/resourceslices") && !"GET".equals(r.getMethod())) {
        writeMethods.add(r.getMethod());
      }
    }
    assertThat(writeMethods).contains("DELETE");
    assertThat(writeMethods.subList(writeMethods.indexOf("DELETE"), writeMethods.size()))
        .as("deletes come last: %s", writeMethods)
        .containsOnly("DELETE");
  }

  @Test
  void loopRecreatesSlicesSomeoneDeleted() {
    try (SlicePublishLoop loop =
        new SlicePublishLoop(
            publisher,
            client,
            NODE,
            Duration.ofMinutes(10),
            new Backoff(Duration.ofMillis(50), Duration.ofSeconds(1)))) {
      loop.start();
      List<ResourceSliceSpec> desired = slicesFor(2, true);
      loop.publish(desired);
      await().atMost(Duration.ofSeconds(10)).until(() -> published().size() == desired.size());

      String victim = published().getFirst().getMetadata().getName();
      client.dynamicResourceAllocation().v1().resourcesSlices().withName(victim).delete();

      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  published().size() == desired.size()
                      && published().stream()
                          .anyMatch(s -> s.getMetadata().getName().equals(victim))
                      && published().stream()
                          .allMatch(s -> s.getSpec().getPool().getGeneration() == 2L));
      assertThat(publisher.publish(desired).writes()).as("the pool is complete again").isZero();
    }
  }

  @Test
  void loopRetriesAfterApiErrors() {
    int failures = 3;
    server
        .expect()
        .post()
        .withPath("/apis/resource.k8s.io/v1/resourceslices")
        .andReturn(500, "{\"kind\":\"Status\",\"code\":500,\"message\":\"etcd unavailable\"}")
        .times(failures);
    // The client's own retries are off so that the failures reach the loop.
    try (KubernetesClient noRetries =
            new KubernetesClientBuilder()
                .withConfig(
                    new ConfigBuilder(client.getConfiguration())
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build();
        SlicePublishLoop loop =
            new SlicePublishLoop(
                new ResourceSlicePublisher(noRetries, DRIVER, NODE),
                noRetries,
                NODE,
                Duration.ofMinutes(10),
                new Backoff(Duration.ofMillis(20), Duration.ofMillis(200)))) {
      List<ResourceSliceSpec> desired = slicesFor(1, false);
      loop.publish(desired);

      await().atMost(Duration.ofSeconds(10)).until(() -> published().size() == desired.size());
      assertThat(loop.failedPasses()).isEqualTo(failures);
    }
    assertThat(published().getFirst().getSpec().getDevices()).hasSize(1);
  }
}
