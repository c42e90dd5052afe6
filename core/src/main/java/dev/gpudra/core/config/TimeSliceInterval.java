package dev.gpudra.core.config;

import java.util.Arrays;
import java.util.Optional;

/** Time-slice lengths a {@code TimeSlicing} strategy may ask for, named as the API names them. */
public enum TimeSliceInterval {
  DEFAULT("Default"),
  SHORT("Short"),
  MEDIUM("Medium"),
  LONG("Long");

  private final String apiName;

  TimeSliceInterval(String apiName) {
    this.apiName = apiName;
  }

  /** The spelling in {@code sharing.timeSlicingConfig.interval}. */
  public String apiName() {
    return apiName;
  }

  /** The interval spelled exactly {@code name}; the API is case-sensitive. */
  public static Optional<TimeSliceInterval> fromApiName(String name) {
    return Arrays.stream(values()).filter(i -> i.apiName.equals(name)).findFirst();
  }
}
