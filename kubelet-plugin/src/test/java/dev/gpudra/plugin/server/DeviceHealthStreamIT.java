package dev.gpudra.plugin.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gpudra.plugin.health.DeviceHealthService;
import dev.gpudra.plugin.health.DeviceIdentity;
import dev.gpudra.proto.health.v1alpha1.DeviceHealth;
import dev.gpudra.proto.health.v1alpha1.HealthStatus;
import dev.gpudra.proto.health.v1alpha1.NodeWatchResourcesResponse;
import dev.gpudra.testkit.kubelet.HealthWatch;
import dev.gpudra.testkit.kubelet.KubeletEmulator;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kubelet's health stream reports the published devices as healthy, now and on change. */
class DeviceHealthStreamIT {

  private static final String POD_UID = "5a5a5a5a-0000-4000-8000-000000000001";
  private static final Duration WAIT = Duration.ofSeconds(5);

  private static final DeviceIdentity GPU_0 = new DeviceIdentity("node-a", "gpu-0");
  private static final DeviceIdentity GPU_1 = new DeviceIdentity("node-a", "gpu-1");
  private static final DeviceIdentity MIG = new DeviceIdentity("node-a", "gpu-1-mig-1g10gb-19-0");

  @TempDir Path root;

  private final AtomicReference<Set<DeviceIdentity>> published =
      new AtomicReference<>(Set.of(GPU_1, GPU_0));

  @Test
  void reportsEveryPublishedDeviceHealthyAsSoonAsTheStreamOpens() throws Exception {
    try (PluginUnderTest plugin = PluginUnderTest.start(root, POD_UID, published::get);
        KubeletEmulator kubelet = new KubeletEmulator(plugin.sockets.registryDir());
        HealthWatch watch = kubelet.register(plugin.servers.registrationSocket()).watchHealth()) {

      NodeWatchResourcesResponse first = watch.next(WAIT).orElseThrow();

      assertThat(first.getDevicesList())
          .extracting(d -> d.getDevice().getPoolName() + "/" + d.getDevice().getDeviceName())
          .containsExactly("node-a/gpu-0", "node-a/gpu-1");
      assertThat(first.getDevicesList())
          .extracting(DeviceHealth::getHealth)
          .containsOnly(HealthStatus.HEALTHY);
      assertThat(first.getDevicesList())
          .extracting(DeviceHealth::getLastUpdatedTime)
          .allSatisfy(t -> assertThat(t).isPositive());
    }
  }

  @Test
  void sendsTheCompleteNewListWhenTheDeviceSetChanges() throws Exception {
    try (PluginUnderTest plugin = PluginUnderTest.start(root, POD_UID, published::get);
        KubeletEmulator kubelet = new KubeletEmulator(plugin.sockets.registryDir());
        HealthWatch watch = kubelet.register(plugin.servers.registrationSocket()).watchHealth()) {
      assertThat(watch.next(WAIT)).isPresent();

      published.set(Set.of(GPU_0, MIG));
      plugin.health.devicesChanged();

      assertThat(devicesOf(watch.next(WAIT).orElseThrow()))
          .containsExactly("node-a/gpu-0", "node-a/gpu-1-mig-1g10gb-19-0");
    }
  }

  @Test
  void noticesAChangedDeviceSetWithoutBeingTold() throws Exception {
    try (PluginUnderTest plugin = PluginUnderTest.start(root, POD_UID, published::get);
        KubeletEmulator kubelet = new KubeletEmulator(plugin.sockets.registryDir());
        HealthWatch watch = kubelet.register(plugin.servers.registrationSocket()).watchHealth()) {
      assertThat(watch.next(WAIT)).isPresent();

      published.set(Set.of());

      assertThat(watch.next(WAIT).orElseThrow().getDevicesList()).isEmpty();
    }
  }

  @Test
  void repeatsAnUnchangedListSoTheKubeletsHealthTimeoutNeverExpires() throws Exception {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    AtomicReference<Instant> now = new AtomicReference<>(t0);
    Clock clock =
        new Clock() {
          @Override
          public ZoneOffset getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now.get();
          }
        };
    try (var factory = new UnixSocketServerFactory(Duration.ofSeconds(1));
        var health =
            new DeviceHealthService(
                published::get, PluginUnderTest.POLL, Duration.ofSeconds(10), clock);
        var servers =
            KubeletPluginServers.start(
                PluginUnderTest.sockets(root, POD_UID), factory, health, List.of());
        var kubelet = new KubeletEmulator(PluginUnderTest.registryDir(root));
        HealthWatch watch = kubelet.register(servers.registrationSocket()).watchHealth()) {
      assertThat(watch.next(WAIT).orElseThrow().getDevices(0).getLastUpdatedTime())
          .isEqualTo(t0.getEpochSecond());
      assertThat(watch.next(Duration.ofMillis(300))).as("nothing due yet").isEmpty();

      now.set(t0.plusSeconds(10));

      NodeWatchResourcesResponse repeated = watch.next(WAIT).orElseThrow();
      assertThat(devicesOf(repeated)).containsExactly("node-a/gpu-0", "node-a/gpu-1");
      assertThat(repeated.getDevices(0).getLastUpdatedTime()).isEqualTo(t0.getEpochSecond() + 10);
    }
  }

  @Test
  void keepsTheStreamWhenListingDevicesFailsAndReportsOnceItWorksAgain() throws Exception {
    AtomicReference<RuntimeException> failure =
        new AtomicReference<>(new IllegalStateException("inventory not ready"));
    try (PluginUnderTest plugin =
            PluginUnderTest.start(
                root,
                POD_UID,
                () -> {
                  if (failure.get() != null) {
                    throw failure.get();
                  }
                  return published.get();
                });
        KubeletEmulator kubelet = new KubeletEmulator(plugin.sockets.registryDir());
        HealthWatch watch = kubelet.register(plugin.servers.registrationSocket()).watchHealth()) {
      assertThat(watch.next(Duration.ofMillis(300))).isEmpty();
      assertThat(watch.awaitEnd(Duration.ZERO)).as("stream still open").isEmpty();

      failure.set(null);

      assertThat(devicesOf(watch.next(WAIT).orElseThrow()))
          .containsExactly("node-a/gpu-0", "node-a/gpu-1");
    }
  }

  @Test
  void forgetsAStreamTheKubeletCancels() throws Exception {
    try (PluginUnderTest plugin = PluginUnderTest.start(root, POD_UID, published::get);
        KubeletEmulator kubelet = new KubeletEmulator(plugin.sockets.registryDir())) {
      HealthWatch watch = kubelet.register(plugin.servers.registrationSocket()).watchHealth();
      assertThat(watch.next(WAIT)).isPresent();
      assertThat(plugin.health.openStreams()).isEqualTo(1);

      watch.close();

      await().atMost(WAIT).until(() -> plugin.health.openStreams() == 0);
    }
  }

  @Test
  void endsOpenStreamsCleanlyWhenThePluginStops() throws Exception {
    try (KubeletEmulator kubelet = new KubeletEmulator(PluginUnderTest.registryDir(root))) {
      PluginUnderTest plugin = PluginUnderTest.start(root, POD_UID, published::get);
      HealthWatch watch = kubelet.register(plugin.servers.registrationSocket()).watchHealth();
      assertThat(watch.next(WAIT)).isPresent();

      plugin.close();

      Optional<Status> end = watch.awaitEnd(WAIT);
      assertThat(end).map(Status::getCode).contains(Status.Code.OK);
    }
  }

  private static List<String> devicesOf(NodeWatchResourcesResponse response) {
    return response.getDevicesList().stream()
        .map(d -> d.getDevice().getPoolName() + "/" + d.getDevice().getDeviceName())
        .toList();
  }
}
