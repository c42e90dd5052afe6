package dev.gpudra.plugin.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.core.health.HealthCause;
import dev.gpudra.core.health.HealthCondition;
import dev.gpudra.core.health.HealthTarget;
import dev.gpudra.core.health.TaintEffect;
import dev.gpudra.core.health.XidCatalog;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HealthLedgerTest {

  private static final Instant T0 = Instant.parse("2026-12-03T16:00:00Z");
  private static final Duration QUIET = Duration.ofMinutes(5);
  private static final HealthTarget GPU_0 = new HealthTarget.WholeGpu(0);
  private static final HealthTarget GPU_1 = new HealthTarget.WholeGpu(1);

  private final HealthLedger ledger =
      new HealthLedger(new XidCatalog(Set.of(31)), TaintEffect.NO_SCHEDULE, QUIET);

  @Test
  void repeatedXidsChangeNothingAfterTheFirst() {
    assertThat(ledger.xid(GPU_0, 48, T0)).isTrue();
    for (int i = 1; i <= 1000; i++) {
      assertThat(ledger.xid(GPU_0, 48, T0.plusMillis(i))).isFalse();
    }

    assertThat(ledger.conditions())
        .singleElement()
        .satisfies(c -> assertThat(c.since()).isEqualTo(T0));
  }

  @Test
  void unhealthyXidsGetTheConfiguredEffectOthersNone() {
    HealthLedger evicting =
        new HealthLedger(new XidCatalog(Set.of(31)), TaintEffect.NO_EXECUTE, QUIET);
    evicting.xid(GPU_0, 79, T0);
    evicting.xid(GPU_1, 13, T0);
    evicting.xid(new HealthTarget.WholeGpu(2), 31, T0);

    assertThat(evicting.conditions())
        .extracting(c -> c.target().minor() + ":" + c.value() + ":" + c.effect())
        .containsExactlyInAnyOrder("0:79:NO_EXECUTE", "1:13:NONE", "2:31:NONE");
  }

  @Test
  void recoverableXidsEndAfterTheQuietPeriodFatalOnesStay() {
    ledger.xid(GPU_0, 79, T0);
    ledger.xid(GPU_1, 48, T0);
    ledger.xid(GPU_1, 48, T0.plus(Duration.ofMinutes(3)));

    assertThat(ledger.expire(T0.plus(QUIET))).isFalse();
    assertThat(ledger.expire(T0.plus(Duration.ofMinutes(8)))).isTrue();

    assertThat(ledger.conditions()).extracting(HealthCondition::value).containsExactly("79");
  }

  @Test
  void aGpuThatAnswersAfterBeingLostWasResetAndLosesAllItsConditions() {
    HealthTarget instance = new HealthTarget.MigInstance(0, 9, 4, OptionalInt.of(0));
    ledger.xid(GPU_0, 79, T0);
    ledger.xid(instance, 48, T0);
    ledger.xid(GPU_1, 79, T0);
    assertThat(ledger.responds(0)).as("answering while never lost is no reset").isFalse();

    assertThat(ledger.lost(0, "GPU is lost", T0)).isTrue();
    assertThat(ledger.lost(0, "GPU is lost", T0.plusSeconds(5))).isFalse();
    assertThat(ledger.responds(0)).isTrue();

    assertThat(ledger.conditions())
        .extracting(c -> c.target().minor() + ":" + c.cause())
        .containsExactly("1:XID");
  }

  @Test
  void unmonitoredIsInformational() {
    ledger.unmonitored(0, "NotSupported", "no events", T0);

    assertThat(ledger.conditions())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.cause()).isEqualTo(HealthCause.UNMONITORED);
              assertThat(c.effect()).isEqualTo(TaintEffect.NONE);
              assertThat(c.unhealthy()).isFalse();
            });
  }
}
