package dev.gpudra.e2e.footprint;

import dev.gpudra.core.cel.Compilation;
import dev.gpudra.core.cel.DeviceInput;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import dev.gpudra.core.cel.SelectorEvaluationException;
import dev.gpudra.e2e.scale.ScalePlan;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSelector;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * What CEL selectors alone cost a JVM, for the footprint benchmark: run as a JVM of its own, it
 * lists the cluster's ResourceSlices and DeviceClasses and keeps them; with the argument {@value
 * #SELECTORS} it then compiles the device classes' selectors and the scale plan's claim selectors
 * as the allocator does ({@link SelectorCache}) and evaluates each one {@value #ROUNDS} times on
 * every device, the controller's work on a converged view with CEL and nothing else. It prints
 * {@code ready <counts>} and keeps running until killed. The device inputs are not kept: holding
 * devices is the controller's view, not CEL. The client is configured from the environment.
 */
public final class CelSelectorsProbe {

  /** The line printed when it is ready to be measured starts with this. */
  public static final String READY = "ready";

  /** The argument that makes it compile and run the selectors. */
  public static final String SELECTORS = "selectors";

  static final int ROUNDS = 10;

  /** What it holds while measured. */
  private static List<ResourceSlice> slices;

  private CelSelectorsProbe() {}

  public static void main(String[] args) throws Exception {
    boolean selectors = Arrays.asList(args).contains(SELECTORS);
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      var dra = client.dynamicResourceAllocation().v1();
      slices = dra.resourcesSlices().list().getItems();
      List<DeviceClass> classes = dra.deviceClasses().list().getItems();
      String work = selectors ? evaluate(expressions(classes)) : "selectors=0";
      System.out.printf(
          "%s slices=%d deviceClasses=%d %s%n", READY, slices.size(), classes.size(), work);
      System.out.flush();
      new CountDownLatch(1).await();
    }
  }

  /**
   * Compiles and evaluates {@code expressions} on every device, {@value #ROUNDS} times; returns the
   * counts. The first class of CEL loads here.
   */
  private static String evaluate(List<String> expressions) {
    SelectorCache cache = new SelectorCache(SelectorEnvironment.create(), 256);
    long evaluations = 0;
    long matches = 0;
    long errors = 0;
    for (int round = 0; round < ROUNDS; round++) {
      for (ResourceSlice slice : slices) {
        for (Device device : slice.getSpec().getDevices()) {
          DeviceInput input = DeviceInput.of(slice.getSpec().getDriver(), device);
          for (String expression : expressions) {
            if (!(cache.getOrCompile(expression) instanceof Compilation.Compiled compiled)) {
              throw new IllegalStateException(
                  "selector does not compile: " + cache.getOrCompile(expression));
            }
            evaluations++;
            try {
              matches += compiled.selector().matches(input) ? 1 : 0;
            } catch (SelectorEvaluationException e) {
              errors++;
            }
          }
        }
      }
    }
    return String.format(
        "selectors=%d evaluations=%d matches=%d errors=%d",
        expressions.size(), evaluations, matches, errors);
  }

  /** The device classes' CEL selectors and the scale plan's claim selectors, each once. */
  private static List<String> expressions(List<DeviceClass> classes) {
    List<String> fromClasses = new ArrayList<>();
    for (DeviceClass deviceClass : classes) {
      for (DeviceSelector selector : deviceClass.getSpec().getSelectors()) {
        if (selector.getCel() != null) {
          fromClasses.add(selector.getCel().getExpression());
        }
      }
    }
    return Stream.concat(
            fromClasses.stream(),
            Arrays.stream(ScalePlan.Shape.values()).map(ScalePlan.Shape::selector))
        .filter(Objects::nonNull)
        .distinct()
        .toList();
  }
}
