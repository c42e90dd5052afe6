package dev.gpudra.e2e.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One long-running control-plane component (etcd, kube-apiserver, ...) started by the harness, its
 * output going to a log file. Teardown signals exactly this process by its PID: never a name
 * pattern, which could hit processes of other test runs on the same machine.
 */
public final class ComponentProcess implements AutoCloseable {

  private static final long GRACE_SECONDS = 15;

  private final String name;
  private final List<String> command;
  private final Map<String, String> env;
  private final Path log;

  /** The running process; replaced by {@link #startAgain()}. */
  private volatile Process process;

  private ComponentProcess(
      String name, List<String> command, Map<String, String> env, Process process, Path log) {
    this.name = name;
    this.command = List.copyOf(command);
    this.env = Map.copyOf(env);
    this.process = process;
    this.log = log;
  }

  /** Starts {@code command}, appending its standard output and error to {@code log}. */
  public static ComponentProcess start(String name, List<String> command, Path log) {
    return start(name, command, log, Map.of());
  }

  /** As {@link #start(String, List, Path)}, with {@code env} added to the inherited environment. */
  public static ComponentProcess start(
      String name, List<String> command, Path log, Map<String, String> env) {
    return new ComponentProcess(name, command, env, launch(name, command, env, log), log);
  }

  private static Process launch(
      String name, List<String> command, Map<String, String> env, Path log) {
    try {
      Files.createDirectories(log.getParent());
      ProcessBuilder builder = new ProcessBuilder(command);
      builder.environment().putAll(env);
      return builder
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
  }

  /**
   * Starts the same command again after it was stopped ({@link #close()}), as a supervisor brings a
   * component back after an outage; its output goes on in the same log, and {@link #close()} stops
   * the new process.
   *
   * @throws IllegalStateException while the old process still runs
   */
  public void startAgain() {
    if (process.isAlive()) {
      throw new IllegalStateException(name + " still runs; stop it first");
    }
    process = launch(name, command, env, log);
  }

  /** The component's name, e.g. {@code kube-apiserver}. */
  public String name() {
    return name;
  }

  /** Its process id. */
  public long pid() {
    return process.pid();
  }

  /** Where its output goes. */
  public Path log() {
    return log;
  }

  /** Whether it is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Fails, with the end of its log, if the process has exited. */
  public void requireAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          name + " (pid " + pid() + ") exited with " + process.exitValue() + ":\n" + tail(40));
    }
  }

  /** The last {@code lines} lines of its log. */
  public String tail(int lines) {
    return tail(log, lines);
  }

  /**
   * The last {@code lines} lines of the log file {@code log}; a note instead when it cannot be
   * read, since this serves failure messages.
   */
  public static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within a grace period. Idempotent. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(GRACE_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(GRACE_SECONDS, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + "(pid " + pid() + ")";
  }
}
