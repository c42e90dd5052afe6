package dev.gpudra.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs {@code gpudra} from the built jar in a child process, as an admin would. */
final class CliRunner {

  /** What the command printed and returned. */
  record Result(int exitCode, String stdout, String stderr) {}

  /** The command's sysfs root variable. */
  static final String SYSFS_ROOT_ENV = "GPUDRA_SYSFS_ROOT";

  private CliRunner() {}

  static Result run(Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.add("-jar");
    command.add(Path.of("target", "gpudra.jar").toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().removeIf(k -> k.startsWith("GPUDRA_"));
    // The machine's own /sys must not leak into what a test sees: without a sysfs root of the
    // test's, the command gets one that does not exist (one warning, no PCI topology).
    builder.environment().put(SYSFS_ROOT_ENV, "/nonexistent/gpudra-test-sysfs");
    builder.environment().putAll(env);
    Process process = builder.start();
    CompletableFuture<String> err =
        CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
    String out = read(process.getInputStream());
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("gpudra did not finish within 60 s");
    }
    return new Result(process.exitValue(), out, err.join());
  }

  private static String read(java.io.InputStream stream) {
    try {
      return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
