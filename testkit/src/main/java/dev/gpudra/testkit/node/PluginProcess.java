package dev.gpudra.testkit.node;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet plugin as its own JVM, as a DaemonSet pod runs it: by default the plugin's {@code
 * Main} on this JVM's class path, or any entry point that wires the plugin the same way (a crash
 * test's, with a step listener). Its log goes to a file of the node. The kit names the plugin's
 * classes by string: it cannot depend on the plugin, whose tests use it.
 */
public final class PluginProcess implements AutoCloseable {

  /** The plugin's production entry point. */
  public static final String MAIN_CLASS = "dev.gpudra.plugin.Main";

  /**
   * JVM options of {@link #start(Launch, Path, Duration)}: start fast on a busy machine, since the
   * plugin's work is I/O, not compute.
   */
  public static final List<String> DEFAULT_JVM_OPTIONS =
      List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  /** The line the plugin prints on standard output once it serves ({@code Main.READY}). */
  public static final String READY = "GPUDRA-KUBELET-PLUGIN-READY";

  /**
   * What to start.
   *
   * @param mainClass fully qualified entry point; it must print {@link #READY} once it serves
   * @param classPath the child JVM's class path
   * @param env added to this JVM's environment for the child
   * @param javaHome the Java runtime whose {@code bin/java} runs the child
   */
  public record Launch(String mainClass, String classPath, Map<String, String> env, Path javaHome) {
    /** Copies the environment. */
    public Launch {
      env = Map.copyOf(env);
    }

    /** {@link #MAIN_CLASS} on this JVM's runtime and class path with {@code env}. */
    public static Launch of(Map<String, String> env) {
      return new Launch(
          MAIN_CLASS,
          System.getProperty("java.class.path"),
          env,
          Path.of(System.getProperty("java.home")));
    }

    /** The same launch with another entry point. */
    public Launch withMainClass(String mainClass) {
      return new Launch(mainClass, classPath, env, javaHome);
    }

    /** The same launch with another class path. */
    public Launch withClassPath(String classPath) {
      return new Launch(mainClass, classPath, env, javaHome);
    }

    /** The same launch on another Java runtime (e.g. the image's). */
    public Launch withJavaHome(Path javaHome) {
      return new Launch(mainClass, classPath, env, javaHome);
    }
  }

  private final Process process;

  private PluginProcess(Process process) {
    this.process = process;
  }

  /**
   * Starts the plugin's {@code Main} with {@code env} and waits for its ready line.
   *
   * @param log where its standard error (the log) goes, appended
   * @throws IllegalStateException when it exits or stays silent for {@code timeout}
   */
  public static PluginProcess start(Map<String, String> env, Path log, Duration timeout)
      throws IOException {
    return start(Launch.of(env), log, timeout);
  }

  /**
   * Starts {@code launch} and waits for its ready line.
   *
   * @param log where its standard error (the log) goes, appended
   * @throws IllegalStateException when it exits or stays silent for {@code timeout}
   */
  public static PluginProcess start(Launch launch, Path log, Duration timeout) throws IOException {
    return start(launch, DEFAULT_JVM_OPTIONS, log, timeout);
  }

  /**
   * Starts {@code launch} with {@code jvmOptions} (heap, GC, JIT; e.g. the chart's) and waits for
   * its ready line.
   *
   * @param log where its standard error (the log) goes, appended
   * @throws IllegalStateException when it exits or stays silent for {@code timeout}
   */
  public static PluginProcess start(
      Launch launch, List<String> jvmOptions, Path log, Duration timeout) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(launch.javaHome().resolve("bin").resolve("java").toString());
    command.addAll(jvmOptions);
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-cp");
    command.add(launch.classPath());
    command.add(launch.mainClass());
    return launch(command, launch.env(), log, timeout);
  }

  private static PluginProcess launch(
      List<String> command, Map<String, String> env, Path log, Duration timeout)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Process process = pb.start();
    PluginProcess plugin = new PluginProcess(process);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Boolean> ready =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                String line;
                while ((line = out.readLine()) != null) {
                  if (line.equals(READY)) {
                    return true;
                  }
                }
                return false;
              } catch (IOException e) {
                return false;
              }
            });
    try {
      if (!ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(
            "plugin exited with "
                + process.waitFor()
                + " before serving; log: "
                + log
                + logTail(log));
      }
    } catch (Exception e) {
      if (e instanceof IllegalStateException ise) {
        plugin.kill();
        throw ise;
      }
      // Still running but not ready: its threads' stacks (SIGQUIT, written to its log) say where
      // it waits. The log may live in a directory the test deletes, so its end goes into the error.
      dumpThreads(process);
      plugin.kill();
      throw new IllegalStateException(
          "plugin did not become ready in " + timeout + "; log: " + log + logTail(log), e);
    }
    return plugin;
  }

  private static final int LOG_TAIL_LINES = 200;

  private static void dumpThreads(Process process) {
    try {
      new ProcessBuilder("kill", "-QUIT", Long.toString(process.pid())).start().waitFor();
      Thread.sleep(2000);
    } catch (IOException e) {
      // no thread dump then; the log's end still follows
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The last lines of the plugin's log, for an error message. */
  private static String logTail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
      return "\n--- last " + tail.size() + " lines of the log ---\n" + String.join("\n", tail);
    } catch (IOException | UncheckedIOException e) {
      return " (log unreadable: " + e + ")";
    }
  }

  /** The process id. */
  public long pid() {
    return process.pid();
  }

  /** Whether it still runs. */
  public boolean alive() {
    return process.isAlive();
  }

  /** Waits for it to exit on its own (e.g. at a kill point); true when it did. */
  public boolean awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** SIGKILL, and wait until it is gone. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill();
  }
}
