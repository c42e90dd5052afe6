package dev.gpudra.controller.view;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Stream;

/**
 * The pod informer's item store: it keeps a {@link SlimPod} per pod, keyed as the informer keys
 * pods ({@code namespace/name}), and drops the Pod it was given. The informer's cache computes its
 * indexes from the full Pod before it is stored and keeps only keys in them, so no full Pod stays
 * referenced once {@link #put} returns.
 *
 * <p>Pods the informer reads back ({@link #get}, {@link #values}, the previous pod {@link #put}
 * returns) are rebuilt from the slim record: they hold only what {@link SlimPod} keeps. The view
 * reads the records themselves through {@link #slim}.
 *
 * <p>Thread-safe: the informer's cache serializes writes; reads may come from any thread.
 */
final class SlimPodStore implements ItemStore<Pod> {

  private final ConcurrentMap<String, SlimPod> pods = new ConcurrentHashMap<>();

  @Override
  public String getKey(Pod pod) {
    return Cache.metaNamespaceKeyFunc(pod);
  }

  @Override
  public Pod put(String key, Pod pod) {
    return toPod(pods.put(key, SlimPod.of(pod)));
  }

  @Override
  public Pod remove(String key) {
    return toPod(pods.remove(key));
  }

  @Override
  public Stream<String> keySet() {
    return pods.keySet().stream();
  }

  @Override
  public Stream<Pod> values() {
    return pods.values().stream().map(SlimPod::toPod);
  }

  @Override
  public int size() {
    return pods.size();
  }

  @Override
  public Pod get(String key) {
    return toPod(pods.get(key));
  }

  /** The record of the pod with key {@code key} ({@code namespace/name}). */
  Optional<SlimPod> slim(String key) {
    return Optional.ofNullable(pods.get(key));
  }

  private static Pod toPod(SlimPod pod) {
    return pod == null ? null : pod.toPod();
  }
}
