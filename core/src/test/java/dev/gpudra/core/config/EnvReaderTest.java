package dev.gpudra.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EnvReaderTest {

  @Test
  void aBlankValueCountsAsUnsetAndTakesTheDefault() {
    EnvReader env = new EnvReader(Map.of("PORT", "  ", "FLAG", "", "NAME", " "));

    assertThat(env.integer("PORT", 8080)).isEqualTo(8080);
    assertThat(env.bool("FLAG", true)).isTrue();
    assertThat(env.string("NAME", "fallback")).isEqualTo("fallback");
    assertThat(env.string("NAME")).isEmpty();
  }

  @Test
  void valuesAreStrippedAndTyped() {
    EnvReader env =
        new EnvReader(
            Map.of(
                "PORT", " 9400 ",
                "FLAG", "TRUE",
                "LIST", "b, a,,b ",
                "EVERY", "PT15S"));

    assertThat(env.integer("PORT", 0)).isEqualTo(9400);
    assertThat(env.bool("FLAG", false)).isTrue();
    assertThat(env.list("LIST", Set.of())).containsExactly("b", "a");
    assertThat(env.value("EVERY", Duration.ZERO, Duration::parse, "must be a duration"))
        .isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void anUnusableValueFailsNamingTheKeyAndTheValue() {
    EnvReader env = new EnvReader(Map.of("PORT", "http", "FLAG", "yes", "EVERY", "15s"));

    assertThatThrownBy(() -> env.integer("PORT", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PORT must be an integer, got: http");
    assertThatThrownBy(() -> env.bool("FLAG", false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("FLAG must be true or false, got: yes");
    assertThatThrownBy(() -> env.value("EVERY", Duration.ZERO, Duration::parse, "must be PT…"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("EVERY must be PT…, got: 15s");
  }

  @Test
  void aRequiredKeyThatIsUnsetFailsNamingIt() {
    assertThatThrownBy(() -> new EnvReader(Map.of()).required("NODE_NAME"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("NODE_NAME is required");
  }
}
