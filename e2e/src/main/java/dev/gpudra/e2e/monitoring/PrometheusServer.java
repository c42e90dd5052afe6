package dev.gpudra.e2e.monitoring;

import dev.gpudra.e2e.cluster.ComponentProcess;
import dev.gpudra.e2e.cluster.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real Prometheus (the Debian package's {@code /usr/bin/prometheus}) on loopback, scraping the
 * given targets, with their target labels, every second and loading the given rule files. Its TSDB
 * lives in the work directory; {@link #close()} stops exactly this process.
 */
public final class PrometheusServer implements AutoCloseable {

  /** Where the Debian package installs the binaries; {@code scripts/test.sh} installs it. */
  public static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");

  /** Prometheus's rule checker, from the same package. */
  public static final Path PROMTOOL = Path.of("/usr/bin/promtool");

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final ComponentProcess process;
  private final URI base;
  private final HttpClient http = HttpClient.newHttpClient();

  private PrometheusServer(ComponentProcess process, URI base) {
    this.process = process;
    this.base = base;
  }

  /**
   * One scrape target.
   *
   * @param address {@code host:port} of its {@code /metrics}
   * @param labels the target labels service discovery and relabeling would give it; {@code job}
   *     names its scrape job
   * @param honorLabels whether the scraped series' own labels win over target labels of the same
   *     name (the job's {@code honor_labels}); otherwise Prometheus renames them {@code
   *     exported_<name>}
   */
  public record ScrapeTarget(String address, Map<String, String> labels, boolean honorLabels) {

    /** Copies; requires a {@code job} label. */
    public ScrapeTarget {
      labels = Map.copyOf(labels);
      if (!labels.containsKey("job")) {
        throw new IllegalArgumentException("a target needs a job label: " + labels);
      }
    }

    /** A target known only by its job name. */
    public static ScrapeTarget of(String job, String address) {
      return new ScrapeTarget(address, Map.of("job", job), false);
    }

    /** The scrape job's name. */
    public String job() {
      return labels.get("job");
    }
  }

  /**
   * Starts Prometheus with one static scrape job per job name of {@code targets} and the rule
   * files, and waits until it answers {@code /-/ready}.
   */
  public static PrometheusServer start(Path workDir, List<ScrapeTarget> targets, List<Path> rules) {
    requireInstalled();
    int port = FreePorts.take(1).getFirst();
    StringBuilder config =
        new StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
    config.append("rule_files:\n");
    rules.forEach(r -> config.append("  - ").append(r.toAbsolutePath()).append('\n'));
    config.append("scrape_configs:\n");
    Map<String, List<ScrapeTarget>> jobs =
        targets.stream()
            .collect(
                Collectors.groupingBy(ScrapeTarget::job, LinkedHashMap::new, Collectors.toList()));
    jobs.forEach(
        (job, members) -> {
          boolean honor = members.getFirst().honorLabels();
          if (members.stream().anyMatch(t -> t.honorLabels() != honor)) {
            throw new IllegalArgumentException("job " + job + " mixes honor_labels settings");
          }
          config.append("  - job_name: ").append(quote(job)).append('\n');
          config.append("    honor_labels: ").append(honor).append('\n');
          config.append("    static_configs:\n");
          for (ScrapeTarget target : members) {
            config.append("      - targets: [").append(quote(target.address())).append("]\n");
            config.append("        labels:\n");
            new TreeMap<>(target.labels())
                .forEach(
                    (name, value) ->
                        config
                            .append("          ")
                            .append(name)
                            .append(": ")
                            .append(quote(value))
                            .append('\n'));
          }
        });
    try {
      Files.createDirectories(workDir);
      Path file = Files.writeString(workDir.resolve("prometheus.yml"), config);
      ComponentProcess process =
          ComponentProcess.start(
              "prometheus",
              List.of(
                  PROMETHEUS.toString(),
                  "--config.file=" + file,
                  "--storage.tsdb.path=" + workDir.resolve("data"),
                  "--web.listen-address=127.0.0.1:" + port),
              workDir.resolve("prometheus.log"));
      PrometheusServer server =
          new PrometheusServer(process, URI.create("http://127.0.0.1:" + port));
      try {
        server.awaitReady();
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Prometheus config in " + workDir, e);
    }
  }

  // YAML single-quoted scalar.
  private static String quote(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  /** Fails with the command that installs Prometheus when it is not installed. */
  public static void requireInstalled() {
    if (!Files.isExecutable(PROMETHEUS) || !Files.isExecutable(PROMTOOL)) {
      throw new IllegalStateException(
          PROMETHEUS
              + " or "
              + PROMTOOL
              + " missing: run scripts/test.sh, or apt-get install prometheus (Debian)");
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (System.nanoTime() < deadline) {
      process.requireAlive();
      try {
        if (get("/-/ready").statusCode() == 200) {
          return;
        }
      } catch (UncheckedIOException e) {
        // Not listening yet.
      }
      sleep();
    }
    throw new IllegalStateException("Prometheus not ready after 1 minute:\n" + process.tail(40));
  }

  /**
   * An instant query through {@code /api/v1/query}: the answer's JSON, whether Prometheus accepted
   * the expression ({@code status: success}) or not ({@code errorType: bad_data}).
   */
  public JsonNode query(String promql) {
    return JSON.readTree(
        get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)).body());
  }

  /** The loaded rule groups ({@code /api/v1/rules}), with each rule's health. */
  public JsonNode rules() {
    return JSON.readTree(get("/api/v1/rules").body());
  }

  /**
   * The active alerts ({@code /api/v1/alerts}): pending and firing, with labels and annotations.
   */
  public JsonNode alerts() {
    return JSON.readTree(get("/api/v1/alerts").body());
  }

  /** The end of Prometheus's own log, for failure messages. */
  public String logTail() {
    return process.tail(30);
  }

  private HttpResponse<String> get(String path) {
    try {
      return http.send(
          HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + path + " from Prometheus", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    process.close();
  }
}
