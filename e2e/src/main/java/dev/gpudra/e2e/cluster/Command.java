package dev.gpudra.e2e.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A short-lived command run to completion (openssl, helm, the discovery jar), with its output.
 * Long-running components are {@link ComponentProcess}es instead.
 *
 * @param exitCode the process's exit status
 * @param stdout standard output
 * @param stderr standard error
 */
public record Command(int exitCode, String stdout, String stderr) {

  /** Runs {@code args} with extra environment and fails unless it exits 0. */
  public static Command check(Duration timeout, Map<String, String> env, List<String> args) {
    Command result = run(timeout, env, args);
    if (result.exitCode != 0) {
      throw new IllegalStateException(
          String.join(" ", args)
              + " exited "
              + result.exitCode
              + "\nstdout:\n"
              + result.stdout
              + "\nstderr:\n"
              + result.stderr);
    }
    return result;
  }

  /** Runs {@code args} with no extra environment and fails unless it exits 0. */
  public static Command check(Duration timeout, String... args) {
    return check(timeout, Map.of(), List.of(args));
  }

  /** Runs {@code args} with extra environment; any exit status is returned. */
  public static Command run(Duration timeout, Map<String, String> env, List<String> args) {
    try {
      // Output goes to files, not pipes, so a chatty command cannot block on a full pipe.
      Path out = Files.createTempFile("gpudra-e2e-cmd", ".out");
      Path err = Files.createTempFile("gpudra-e2e-cmd", ".err");
      try {
        ProcessBuilder builder =
            new ProcessBuilder(args)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          throw new IllegalStateException(
              String.join(" ", args) + " did not finish within " + timeout);
        }
        return new Command(
            process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + args, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + args, e);
    }
  }
}
