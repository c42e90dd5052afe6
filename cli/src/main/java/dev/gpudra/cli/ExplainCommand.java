package dev.gpudra.cli;

import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import dev.gpudra.core.explain.PendingClaimExplainer;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code gpudra explain <namespace>/<claim>}: why a claim is pending, computed here with the
 * scheduler's allocation semantics from what the API server holds now. Needs only read access.
 */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    description =
        "Explain why a ResourceClaim is pending: which nodes were tried and why none fits.")
final class ExplainCommand implements Callable<Integer> {

  @ParentCommand GpudraCli parent;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAMESPACE/CLAIM", description = "The claim, e.g. ml/train-gpu.")
  String claim;

  @Override
  public Integer call() {
    int slash = claim.indexOf('/');
    if (slash <= 0 || slash == claim.length() - 1 || claim.indexOf('/', slash + 1) >= 0) {
      throw new ParameterException(
          spec.commandLine(), "expected NAMESPACE/CLAIM, got '" + claim + "'");
    }
    String namespace = claim.substring(0, slash);
    String name = claim.substring(slash + 1);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (KubernetesClient client = parent.clients().get()) {
      var dra = client.dynamicResourceAllocation().v1();
      ResourceClaim target = dra.resourceClaims().inNamespace(namespace).withName(name).get();
      if (target == null) {
        err.println("gpudra: no ResourceClaim " + namespace + "/" + name);
        return GpudraCli.EXIT_FAILED;
      }
      PendingClaimExplainer explainer =
          new PendingClaimExplainer(
              new SelectorCache(SelectorEnvironment.create(), 256), AllocationBudget.DEFAULT);
      out.println(
          explainer
              .explain(
                  target,
                  client.nodes().list().getItems(),
                  dra.resourcesSlices().list().getItems(),
                  dra.deviceClasses().list().getItems(),
                  dra.resourceClaims().inAnyNamespace().list().getItems())
              .text());
      return 0;
    } catch (KubernetesClientException e) {
      Throwable cause = e.getCause();
      err.println(
          "gpudra: the API server failed: "
              + e.getMessage()
              + (cause == null || cause.getMessage() == null
                  ? ""
                  : " (" + cause.getMessage() + ")"));
      return GpudraCli.EXIT_FAILED;
    }
  }
}
