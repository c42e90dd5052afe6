package dev.gpudra.e2e.junit;

import dev.gpudra.e2e.cluster.ClusterDiagnostics;
import dev.gpudra.e2e.cluster.ControlPlane;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * JUnit extension that gives e2e tests a real control plane: {@code @ExtendWith} it and declare a
 * {@link ControlPlane} or {@link KubernetesClient} parameter.
 *
 * <p>One control plane serves the whole test run (it lives in the root context's store and closes
 * when the run ends): starting one costs seconds even when the machine is idle and much more when
 * it is busy. Test classes keep apart by using their own node and namespace names. Every test's
 * duration is printed, and a failing test or {@code @BeforeEach} prints {@link ClusterDiagnostics}
 * before any cleanup runs.
 *
 * <p>{@link GpuScenario} builds on it for scenarios that need a namespace and fake GPU nodes.
 */
public class ControlPlaneExtension
    implements BeforeAllCallback,
        ParameterResolver,
        BeforeTestExecutionCallback,
        AfterTestExecutionCallback,
        TestExecutionExceptionHandler,
        LifecycleMethodExecutionExceptionHandler {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ControlPlaneExtension.class);
  private static final String START = "start";

  @Override
  public void beforeAll(ExtensionContext context) {
    controlPlane(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == ControlPlane.class || type == KubernetesClient.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    ControlPlane plane = controlPlane(context);
    return parameter.getParameter().getType() == ControlPlane.class ? plane : plane.client();
  }

  @Override
  public void beforeTestExecution(ExtensionContext context) {
    context.getStore(NAMESPACE).put(START, System.nanoTime());
  }

  @Override
  public void afterTestExecution(ExtensionContext context) {
    Long start = context.getStore(NAMESPACE).get(START, Long.class);
    if (start != null) {
      ControlPlane.log(
          "scenario "
              + context.getRequiredTestClass().getSimpleName()
              + " > "
              + context.getDisplayName()
              + " took "
              + (System.nanoTime() - start) / 1_000_000
              + " ms");
    }
  }

  /** Dumps the cluster's state before {@code @AfterEach} methods clean it up, then rethrows. */
  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable cause)
      throws Throwable {
    existing(context).ifPresent(this::diagnose);
    throw cause;
  }

  @Override
  public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable cause)
      throws Throwable {
    existing(context).ifPresent(this::diagnose);
    throw cause;
  }

  /**
   * Prints what a reader needs after a failure, before any cleanup runs: {@link
   * ClusterDiagnostics}; subclasses add what they started.
   */
  protected void diagnose(ControlPlane plane) {
    ClusterDiagnostics.dump(plane, System.out);
  }

  /** The run's control plane, started on first use; closed when the run ends. */
  static ControlPlane controlPlane(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .computeIfAbsent(
            ControlPlane.class, key -> ControlPlane.startInWorkDir(), ControlPlane.class);
  }

  /** The run's control plane if one was started. */
  static Optional<ControlPlane> existing(ExtensionContext context) {
    return Optional.ofNullable(
        context.getRoot().getStore(NAMESPACE).get(ControlPlane.class, ControlPlane.class));
  }
}
