package dev.gpudra.plugin.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gpudra.plugin.registration.RegistrationState;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegistrationReadinessCheckTest {

  @Test
  void notReadyBeforeTheKubeletRegisteredThePlugin() {
    assertThat(
            new RegistrationReadinessCheck(() -> RegistrationState.NOT_YET_REGISTERED, () -> true)
                .get())
        .isEqualTo("not registered with the kubelet yet");
  }

  @Test
  void notReadyWhileRegisteredButNoSliceWasPublished() {
    RegistrationState registered = new RegistrationState(true, Optional.empty());

    assertThat(new RegistrationReadinessCheck(() -> registered, () -> false).get())
        .isEqualTo("ResourceSlices not published yet");
    assertThat(new RegistrationReadinessCheck(() -> registered, () -> true).get()).isNull();
  }

  @Test
  void aRejectedRegistrationNamesTheKubeletsReason() {
    RegistrationState rejected = new RegistrationState(false, Optional.of("driver name taken"));

    assertThat(new RegistrationReadinessCheck(() -> rejected, () -> true).get())
        .isEqualTo("the kubelet rejected the registration: driver name taken");
  }

  @Test
  void aRetrySucceedingAfterARejectionIsReady() {
    RegistrationState retried = new RegistrationState(true, Optional.of("driver name taken"));

    assertThat(new RegistrationReadinessCheck(() -> retried, () -> true).get()).isNull();
  }
}
