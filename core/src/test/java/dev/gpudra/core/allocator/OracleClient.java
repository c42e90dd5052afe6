package dev.gpudra.core.allocator;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Runs the upstream allocator through {@code tools/allocator-oracle}: builds it once (the build
 * script caches the binary by its Go inputs) and feeds it scenarios as JSON lines.
 */
final class OracleClient {
  private final ObjectMapper mapper;
  private final String binary;

  private OracleClient(ObjectMapper mapper, String binary) {
    this.mapper = mapper;
    this.binary = binary;
  }

  /** Builds (or finds cached) the oracle; fails with the build's output when Go is missing. */
  static OracleClient build(ObjectMapper mapper) throws IOException, InterruptedException {
    File script = locate("tools/allocator-oracle/build.sh");
    Process p = new ProcessBuilder("bash", script.getPath()).redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("building the allocator oracle failed:\n" + err);
    }
    return new OracleClient(mapper, out);
  }

  private static File locate(String relative) {
    for (File dir = new File(System.getProperty("user.dir")).getAbsoluteFile();
        dir != null;
        dir = dir.getParentFile()) {
      File candidate = new File(dir, relative);
      if (candidate.isFile()) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "cannot find " + relative + " above " + System.getProperty("user.dir"));
  }

  /** The oracle's verdicts, in scenario order. */
  List<JsonNode> run(List<Scenario> scenarios) throws IOException, InterruptedException {
    return run(scenarios, 0);
  }

  /** The oracle's verdicts with its timings over {@code repeat} runs per scenario. */
  List<JsonNode> timed(List<Scenario> scenarios, int repeat)
      throws IOException, InterruptedException {
    return run(scenarios, repeat);
  }

  private List<JsonNode> run(List<Scenario> scenarios, int repeat)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(binary).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              try (BufferedWriter w =
                  new BufferedWriter(
                      new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8))) {
                for (Scenario s : scenarios) {
                  tools.jackson.databind.node.ObjectNode json = mapper.valueToTree(s);
                  if (repeat > 0) {
                    json.put("repeat", repeat);
                  }
                  w.write(mapper.writeValueAsString(json));
                  w.newLine();
                }
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    List<JsonNode> verdicts = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        verdicts.add(mapper.readTree(line));
      }
    }
    writer.join();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("allocator oracle exited with " + p.exitValue());
    }
    return verdicts;
  }
}
