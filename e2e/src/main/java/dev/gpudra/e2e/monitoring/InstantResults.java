package dev.gpudra.e2e.monitoring;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Reading the samples of a Prometheus instant-query result ({@code data.result}: an array of {@code
 * {metric: {labels}, value: [time, "number"]}}), as the dashboard and alert scenarios check them.
 */
public final class InstantResults {

  private InstantResults() {}

  /**
   * Whether an instant-query result holds a sample that is a number: a quantile of a histogram that
   * saw no observation is NaN, a sample but no data.
   */
  public static boolean hasANumber(JsonNode result) {
    for (JsonNode sample : result) {
      if (!"NaN".equals(sample.path("value").path(1).asString())) {
        return true;
      }
    }
    return false;
  }

  /** Label {@code wanted} of the sample whose {@code label} is {@code value}; null when none. */
  public static String labelOf(JsonNode result, String label, String value, String wanted) {
    for (JsonNode sample : result) {
      if (value.equals(sample.path("metric").path(label).asString())) {
        return sample.path("metric").path(wanted).asString();
      }
    }
    return null;
  }

  /** How many samples have {@code value}. */
  public static int samplesWith(JsonNode result, double value) {
    int count = 0;
    for (JsonNode sample : result) {
      if (Double.parseDouble(sample.path("value").path(1).asString()) == value) {
        count++;
      }
    }
    return count;
  }

  /** The value of the sample whose {@code label} is {@code value}; NaN when there is none. */
  public static double sampleValue(JsonNode result, String label, String value) {
    for (JsonNode sample : result) {
      if (value.equals(sample.path("metric").path(label).asString())) {
        return Double.parseDouble(sample.path("value").path(1).asString());
      }
    }
    return Double.NaN;
  }

  /** Up to four samples as {@code {labels}=value}, for the log. */
  public static List<String> samples(JsonNode result) {
    List<String> values = new ArrayList<>();
    for (JsonNode sample : result) {
      if (values.size() == 4) {
        values.add("...");
        break;
      }
      values.add(sample.path("metric") + "=" + sample.path("value").path(1).asString());
    }
    return values;
  }
}
