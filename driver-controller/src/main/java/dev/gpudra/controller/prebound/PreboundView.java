package dev.gpudra.controller.prebound;

import dev.gpudra.controller.view.ClusterView;
import dev.gpudra.controller.view.SlimPod;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What the pre-bound allocator reads of the cluster: the informers' current objects. An interface
 * so that the allocator's races against kube-scheduler (which depend on what the informers show
 * when) can be replayed step by step with a view the test advances itself.
 */
public interface PreboundView {

  /** Current ResourceClaims of all namespaces. */
  List<ResourceClaim> claims();

  /** Current Nodes. */
  List<Node> nodes();

  /** Current ResourceSlices. */
  List<ResourceSlice> slices();

  /** Current DeviceClasses. */
  List<DeviceClass> deviceClasses();

  /** A pod, if the view knows it. */
  Optional<SlimPod> pod(String namespace, String name);

  /** Calls {@code listener} with every added or updated claim. */
  void onClaimChange(Consumer<ResourceClaim> listener);

  /** The controller's informers. */
  static PreboundView of(ClusterView view) {
    return new PreboundView() {
      @Override
      public List<ResourceClaim> claims() {
        return view.claims();
      }

      @Override
      public List<Node> nodes() {
        return view.nodes();
      }

      @Override
      public List<ResourceSlice> slices() {
        return view.slices();
      }

      @Override
      public List<DeviceClass> deviceClasses() {
        return view.deviceClasses();
      }

      @Override
      public Optional<SlimPod> pod(String namespace, String name) {
        return view.pod(namespace, name);
      }

      @Override
      public void onClaimChange(Consumer<ResourceClaim> listener) {
        view.onClaimChange(listener);
      }
    };
  }
}
