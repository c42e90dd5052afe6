package dev.gpudra.cli;

import dev.gpudra.core.allocator.AllocationBudget;
import dev.gpudra.core.cel.SelectorCache;
import dev.gpudra.core.cel.SelectorEnvironment;
import dev.gpudra.core.explain.Explanation;
import dev.gpudra.core.explain.PendingClaimExplainer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimTemplate;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code gpudra explain}: why a claim is pending, computed here with the scheduler's allocation
 * semantics from what the API server holds now. Needs only read access.
 *
 * <ul>
 *   <li>{@code explain <ns>/<claim>}: one claim;
 *   <li>{@code explain pod <ns>/<pod>}: every claim of a pod (direct, from templates, and the
 *       scheduler's extended-resource claim);
 *   <li>{@code explain -f FILE}: ResourceClaims and ResourceClaimTemplates from a file, before they
 *       are applied: where they would fit, or why not.
 * </ul>
 */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    description = {
      "Explain why a ResourceClaim is pending: the selector clause that is false with the values"
          + " the devices have, counts per node, holds, taints, counters and constraints.",
      "  gpudra explain NAMESPACE/CLAIM",
      "  gpudra explain pod NAMESPACE/POD",
      "  gpudra explain -f FILE   (claims and claim templates, before they are applied)"
    })
final class ExplainCommand implements Callable<Integer> {

  @ParentCommand GpudraCli parent;

  @Spec CommandSpec spec;

  @Parameters(
      arity = "0..2",
      paramLabel = "TARGET",
      description = "NAMESPACE/CLAIM, or 'pod' NAMESPACE/POD.")
  List<String> target = new ArrayList<>();

  @Option(
      names = {"-f", "--filename"},
      paramLabel = "FILE",
      description = "A file with ResourceClaims or ResourceClaimTemplates to evaluate.")
  String file;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      description = "text (default) or json.")
  String output = "text";

  /** The node the pod of {@code explain pod} is bound to; null for claims and files. */
  private String boundNode;

  @Override
  public Integer call() {
    if (!output.equals("text") && !output.equals("json")) {
      throw new ParameterException(spec.commandLine(), "-o must be text or json, got " + output);
    }
    boolean pod = target.size() == 2 && target.get(0).equals("pod");
    if (file == null ? !(target.size() == 1 || pod) : !target.isEmpty()) {
      throw new ParameterException(
          spec.commandLine(),
          "expected NAMESPACE/CLAIM, pod NAMESPACE/POD or -f FILE, got '"
              + String.join(" ", target)
              + "'");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (KubernetesClient client = parent.clients().get()) {
      List<ResourceClaim> claims;
      if (file != null) {
        claims = fromFile(client, file);
      } else {
        String[] id = split(pod ? target.get(1) : target.get(0));
        claims = pod ? ofPod(client, id[0], id[1], err) : ofClaim(client, id[0], id[1], err);
        if (claims == null) {
          return GpudraCli.EXIT_FAILED;
        }
      }
      var dra = client.dynamicResourceAllocation().v1();
      List<Node> nodes = client.nodes().list().getItems();
      if (boundNode != null) {
        // A pod bound to a node (pre-bound, or already scheduled) can only use that node: a fit
        // on another node would be no reason at all.
        nodes = nodes.stream().filter(n -> boundNode.equals(n.getMetadata().getName())).toList();
        if (output.equals("text")) {
          out.println(
              "pod "
                  + target.get(1)
                  + " is bound to node "
                  + boundNode
                  + (nodes.isEmpty() ? ", which does not exist" : "")
                  + "; only that node can serve its claims");
        }
      }
      PendingClaimExplainer.Snapshot cluster =
          new PendingClaimExplainer(
                  new SelectorCache(SelectorEnvironment.create(), 256), AllocationBudget.DEFAULT)
              .snapshot(
                  nodes,
                  dra.resourcesSlices().list().getItems(),
                  dra.deviceClasses().list().getItems(),
                  dra.resourceClaims().inAnyNamespace().list().getItems());
      List<Explanation> explanations = claims.stream().map(cluster::explain).toList();
      if (output.equals("json")) {
        out.println(
            JsonMapper.builder()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .build()
                .writeValueAsString(ExplainOutput.json(explanations)));
      } else {
        explanations.forEach(e -> out.println(ExplainOutput.text(e, file != null)));
      }
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
    } catch (IOException | RuntimeException e) {
      if (e instanceof ParameterException p) {
        throw p;
      }
      err.println("gpudra: " + e.getMessage());
      return GpudraCli.EXIT_FAILED;
    }
  }

  private String[] split(String id) {
    int slash = id.indexOf('/');
    if (slash <= 0 || slash == id.length() - 1 || id.indexOf('/', slash + 1) >= 0) {
      throw new ParameterException(
          spec.commandLine(), "expected NAMESPACE/CLAIM, got '" + id + "'");
    }
    return new String[] {id.substring(0, slash), id.substring(slash + 1)};
  }

  private static List<ResourceClaim> ofClaim(
      KubernetesClient client, String namespace, String name, PrintWriter err) {
    ResourceClaim claim =
        client
            .dynamicResourceAllocation()
            .v1()
            .resourceClaims()
            .inNamespace(namespace)
            .withName(name)
            .get();
    if (claim == null) {
      err.println("gpudra: no ResourceClaim " + namespace + "/" + name);
      return null;
    }
    return List.of(claim);
  }

  /**
   * The pod's claims; a template whose claim is not created yet is explained as the template. Notes
   * the node the pod is bound to, if any, in {@link #boundNode}.
   */
  private List<ResourceClaim> ofPod(
      KubernetesClient client, String namespace, String name, PrintWriter err) {
    Pod pod = client.pods().inNamespace(namespace).withName(name).get();
    if (pod == null) {
      err.println("gpudra: no Pod " + namespace + "/" + name);
      return null;
    }
    boundNode = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    var dra = client.dynamicResourceAllocation().v1();
    List<ResourceClaim> out = new ArrayList<>();
    var status = pod.getStatus();
    for (var ref : PodClaims.references(pod)) {
      String claimName = PodClaims.claimName(pod, ref);
      if (claimName != null) {
        ResourceClaim claim = dra.resourceClaims().inNamespace(namespace).withName(claimName).get();
        if (claim != null) {
          out.add(claim);
          continue;
        }
      }
      if (ref.getResourceClaimTemplateName() != null) {
        ResourceClaimTemplate template =
            dra.resourceClaimTemplates()
                .inNamespace(namespace)
                .withName(ref.getResourceClaimTemplateName())
                .get();
        if (template != null) {
          out.add(fromTemplate(template, namespace, name + "-" + ref.getName()));
          continue;
        }
      }
      err.println(
          "gpudra: pod " + namespace + "/" + name + ": claim " + ref.getName() + " not found");
    }
    if (status != null
        && status.getExtendedResourceClaimStatus() != null
        && status.getExtendedResourceClaimStatus().getResourceClaimName() != null) {
      ResourceClaim claim =
          dra.resourceClaims()
              .inNamespace(namespace)
              .withName(status.getExtendedResourceClaimStatus().getResourceClaimName())
              .get();
      if (claim != null) {
        out.add(claim);
      }
    }
    return out;
  }

  private static List<ResourceClaim> fromFile(KubernetesClient client, String path)
      throws IOException {
    List<ResourceClaim> out = new ArrayList<>();
    String namespace = client.getNamespace() == null ? "default" : client.getNamespace();
    try (InputStream in = new FileInputStream(path)) {
      for (HasMetadata item : client.load(in).items()) {
        String ns =
            item.getMetadata().getNamespace() == null
                ? namespace
                : item.getMetadata().getNamespace();
        if (item instanceof ResourceClaim claim) {
          out.add(
              new ResourceClaimBuilder(claim)
                  .editMetadata()
                  .withNamespace(ns)
                  .endMetadata()
                  .withStatus(null)
                  .build());
        } else if (item instanceof ResourceClaimTemplate template) {
          out.add(fromTemplate(template, ns, template.getMetadata().getName()));
        }
      }
    }
    if (out.isEmpty()) {
      throw new IOException(path + " has no ResourceClaim or ResourceClaimTemplate");
    }
    return out;
  }

  private static ResourceClaim fromTemplate(
      ResourceClaimTemplate template, String namespace, String name) {
    return new ResourceClaimBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .endMetadata()
        .withSpec(template.getSpec() == null ? null : template.getSpec().getSpec())
        .build();
  }
}
