package dev.gpudra.testkit.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher starts whichever entry point it is given, with the given environment, and tells a
 * process that served from one that died before serving.
 */
class PluginProcessTest {

  @TempDir Path dir;

  /** Serves once its environment says so; logs to standard error as the plugin does. */
  public static final class ServesMain {
    private ServesMain() {}

    public static void main(String[] args) throws InterruptedException {
      System.err.println("serving as " + System.getenv("FAKE_NODE"));
      System.out.println(PluginProcess.READY);
      System.out.flush();
      Thread.sleep(60_000);
    }
  }

  /** Fails at start-up, as the plugin does on a bad configuration. */
  public static final class FailsMain {
    private FailsMain() {}

    public static void main(String[] args) {
      System.err.println("bad configuration");
      System.exit(3);
    }
  }

  @Test
  void startsTheGivenEntryPointWithTheGivenEnvironmentAndWaitsUntilItServes() throws Exception {
    Path log = dir.resolve("plugin.log");
    PluginProcess.Launch launch =
        PluginProcess.Launch.of(Map.of("FAKE_NODE", "node-a"))
            .withMainClass(ServesMain.class.getName());

    try (PluginProcess plugin = PluginProcess.start(launch, log, Duration.ofSeconds(60))) {
      assertThat(plugin.alive()).isTrue();
      assertThat(Files.readString(log)).contains("serving as node-a");
      plugin.kill();
      assertThat(plugin.alive()).isFalse();
    }
  }

  @Test
  void aProcessThatExitsBeforeServingFailsTheStartNamingItsExitCodeAndLog() {
    Path log = dir.resolve("plugin.log");
    PluginProcess.Launch launch =
        PluginProcess.Launch.of(Map.of()).withMainClass(FailsMain.class.getName());

    assertThatThrownBy(() -> PluginProcess.start(launch, log, Duration.ofSeconds(60)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("exited with 3")
        .hasMessageContaining(log.toString());
  }

  @Test
  void theDefaultLaunchIsThePluginsMainOnThisClassPath() {
    PluginProcess.Launch launch = PluginProcess.Launch.of(Map.of("K", "v"));

    assertThat(launch.mainClass()).isEqualTo("dev.gpudra.plugin.Main");
    assertThat(launch.classPath()).isEqualTo(System.getProperty("java.class.path"));
    assertThat(launch.env()).containsExactly(Map.entry("K", "v"));
  }
}
