package dev.gpudra.core.claims;

import dev.gpudra.core.names.DriverNames;
import java.util.Map;
import java.util.Set;

/**
 * What kind of workload a claim serves, from the labels of the pod that uses it. Bounded on
 * purpose: it is a metric label.
 */
public enum WorkloadKind {
  /** An AWS Batch job: Batch labels its pods with {@value #AWS_BATCH_JOB_LABEL}. */
  AWS_BATCH("aws-batch"),
  /**
   * A long-running agent or inference service, marked by {@value #WORKLOAD_LABEL}{@code =agent}.
   */
  AGENT("agent"),
  /** Anything else, and claims no pod uses. */
  OTHER("other");

  /** Label AWS Batch puts on the pods of its jobs. */
  public static final String AWS_BATCH_JOB_LABEL = "batch.amazonaws.com/job-id";

  /** Label teams put on pods to name their workload kind; the value {@code agent} is recognised. */
  public static final String WORKLOAD_LABEL = DriverNames.DRIVER + "/workload";

  /** Every pod label {@link #of} reads; other labels never change a pod's kind. */
  public static final Set<String> POD_LABELS = Set.of(AWS_BATCH_JOB_LABEL, WORKLOAD_LABEL);

  private final String label;

  WorkloadKind(String label) {
    this.label = label;
  }

  /** The value of the {@code workload} metric label. */
  public String label() {
    return label;
  }

  /** The kind of a pod, from its labels (null or empty: {@link #OTHER}). */
  public static WorkloadKind of(Map<String, String> podLabels) {
    if (podLabels == null) {
      return OTHER;
    }
    if (podLabels.containsKey(AWS_BATCH_JOB_LABEL)) {
      return AWS_BATCH;
    }
    return "agent".equals(podLabels.get(WORKLOAD_LABEL)) ? AGENT : OTHER;
  }
}
