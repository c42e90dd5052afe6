package dev.gpudra.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gpudra.testkit.nvml.MockNvml;
import dev.gpudra.testkit.nvml.MockNvmlFaults;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NVML events through the binding, raised on the mock by the test kit's fault log. */
class NvmlEventsIT {

  private static final Duration WAIT = Duration.ofSeconds(5);

  @TempDir Path dir;

  @AfterEach
  void clearMockSettings() {
    MockNvml.clearFromThisProcess();
  }

  @Test
  void xidOnAGpuArrivesWithItsIndexAndNoInstance() {
    Map<String, String> env = MockNvml.env("a100-8x", dir);
    try (NvmlSession session = MockSession.open(env);
        NvmlEventSet events = session.createEventSet()) {
      long registered = events.register(5, NvmlEventTypes.HEALTH);
      MockNvmlFaults.forEnv(env).xid(5, 79);

      NvmlEvent event = events.await(WAIT).orElseThrow();

      assertThat(registered & NvmlEventTypes.XID_CRITICAL_ERROR).isNotZero();
      assertThat(registered & NvmlEventTypes.GPU_RECOVERY_ACTION)
          .as("types this driver lacks are not asked for")
          .isZero();
      assertThat(event)
          .isEqualTo(
              new NvmlEvent(
                  5,
                  NvmlEventTypes.XID_CRITICAL_ERROR,
                  79,
                  OptionalInt.empty(),
                  OptionalInt.empty()));
      assertThat(event.isXid()).isTrue();
    }
  }

  @Test
  void xidOnAMigInstanceCarriesItsGpuAndComputeInstanceIds() {
    Map<String, String> env = MockNvml.env("a100-8x", dir);
    try (NvmlSession session = MockSession.open(env);
        NvmlEventSet events = session.createEventSet()) {
      events.register(0, NvmlEventTypes.HEALTH);
      MockNvmlFaults faults = MockNvmlFaults.forEnv(env);
      faults.xid(0, 94, 2, 0);
      faults.eccDoubleBit(0);

      NvmlEvent xid = events.await(WAIT).orElseThrow();
      NvmlEvent ecc = events.await(WAIT).orElseThrow();

      assertThat(xid.xid()).isEqualTo(94);
      assertThat(xid.gpuInstanceId()).hasValue(2);
      assertThat(xid.computeInstanceId()).hasValue(0);
      assertThat(ecc.type()).isEqualTo(NvmlEventTypes.DOUBLE_BIT_ECC_ERROR);
      assertThat(ecc.gpuIndex()).isZero();
    }
  }

  @Test
  void waitWithoutEventsTimesOutEmpty() {
    try (NvmlSession session = MockSession.open("l4-1x", dir);
        NvmlEventSet events = session.createEventSet()) {
      events.register(0, NvmlEventTypes.HEALTH);

      assertThat(events.await(Duration.ofMillis(20))).isEmpty();
    }
  }

  @Test
  void eventsOfUnregisteredGpusAreNotDelivered() {
    Map<String, String> env = MockNvml.env("a100-8x", dir);
    try (NvmlSession session = MockSession.open(env);
        NvmlEventSet events = session.createEventSet()) {
      events.register(1, NvmlEventTypes.HEALTH);
      MockNvmlFaults.forEnv(env).xid(2, 48);

      assertThat(events.await(Duration.ofMillis(50))).isEmpty();
    }
  }

  @Test
  void lostGpuIsATypedErrorFromOrdinaryCallsAndTheWaitUntilItIsBack() {
    Map<String, String> env = MockNvml.env("a100-8x", dir);
    try (NvmlSession session = MockSession.open(env);
        NvmlEventSet events = session.createEventSet()) {
      events.register(4, NvmlEventTypes.HEALTH);
      MockNvmlFaults faults = MockNvmlFaults.forEnv(env);
      faults.lose(4);

      assertThatThrownBy(() -> events.await(WAIT))
          .isInstanceOfSatisfying(
              NvmlGpuLostException.class, e -> assertThat(e.resetRequired()).isFalse());
      assertThatThrownBy(() -> session.checkResponds(4))
          .isInstanceOf(NvmlGpuLostException.class)
          .hasMessageContaining("GPU is lost");
      session.checkResponds(3);

      faults.bringBack(4);
      session.checkResponds(4);
    }
  }

  @Test
  void driverWithoutEventsFailsCreationWithNotSupported() {
    Map<String, String> env = new HashMap<>(MockNvml.env("l4-1x", dir));
    env.put(MockNvml.FAIL_EVENTS_ENV, "NVML_ERROR_NOT_SUPPORTED");
    try (NvmlSession session = MockSession.open(env)) {
      assertThatThrownBy(session::createEventSet)
          .isInstanceOfSatisfying(
              NvmlException.class,
              e -> {
                assertThat(e.function()).isEqualTo("nvmlEventSetCreate");
                assertThat(e.notSupported()).isTrue();
              });
    }
  }
}
