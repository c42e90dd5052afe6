package dev.gpudra.plugin;

import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.gpudra.core.config.EnvReader;
import dev.gpudra.plugin.prepare.StepListener;
import java.util.Map;

/**
 * The production plugin started under a chosen umask, which the JVM cannot set: a test proves with
 * it that every file and directory the plugin creates has its mode set explicitly, so that a node
 * whose init system hands daemons umask 000 still gets no world-accessible state. The setting is
 * this test entry point's own key; the production plugin neither reads nor knows it.
 */
public final class UmaskPluginMain {

  /** The umask to run under, in octal (e.g. {@code 000}); required. */
  public static final String UMASK = "GPUDRA_TEST_UMASK";

  /** The C library's {@code umask(2)}. */
  interface LibC extends Library {
    int umask(int mask);
  }

  private UmaskPluginMain() {}

  /** Sets the umask, then runs the plugin until SIGTERM. */
  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    int mask =
        new EnvReader(env)
            .optional(UMASK, v -> Integer.parseInt(v, 8), "must be an octal umask")
            .orElseThrow(() -> new IllegalArgumentException(UMASK + " is required"));
    Native.load("c", LibC.class).umask(mask);
    Main.run(env, StepListener.NONE);
  }
}
