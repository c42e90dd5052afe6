package dev.gpudra.plugin.node;

import dev.gpudra.plugin.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet plugin as its own JVM ({@link Main} on the test class path), as a DaemonSet pod runs
 * it. Its log goes to a file of the node.
 */
public final class PluginProcess implements AutoCloseable {

  private final Process process;

  private PluginProcess(Process process) {
    this.process = process;
  }

  /**
   * Starts the plugin with {@code env} and waits for its ready line.
   *
   * @param log where its standard error (the log) goes, appended
   * @throws IllegalStateException when it exits or stays silent for {@code timeout}
   */
  public static PluginProcess start(Map<String, String> env, Path log, Duration timeout)
      throws IOException {
    return start(Main.class.getName(), env, log, timeout);
  }

  /**
   * Starts {@code mainClass} (an entry point of the plugin on the test class path, such as a crash
   * test's) with {@code env} and waits for the plugin's ready line.
   *
   * @param log where its standard error (the log) goes, appended
   * @throws IllegalStateException when it exits or stays silent for {@code timeout}
   */
  public static PluginProcess start(
      String mainClass, Map<String, String> env, Path log, Duration timeout) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Start fast on a busy machine: the plugin's work is I/O, not compute.
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    return launch(command, env, log, timeout);
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
                  if (line.equals(Main.READY)) {
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
            "plugin exited with " + process.waitFor() + " before serving; log: " + log);
      }
    } catch (Exception e) {
      plugin.kill();
      if (e instanceof IllegalStateException ise) {
        throw ise;
      }
      throw new IllegalStateException("plugin did not become ready; log: " + log, e);
    }
    return plugin;
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
