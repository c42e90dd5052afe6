package dev.gpudra.controller.view;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * An informer's item store that advances the view's revision on every change it holds.
 *
 * <p>Invariant: the revision is advanced after the item is stored or removed, in the informer's
 * writing thread, so a reader that sees revision {@code r} also sees every change counted in {@code
 * r}. (Listeners run later on other threads; counting there would let a reader see a change while
 * the revision still names the state before it.)
 *
 * <p>Thread-safe: the informer's cache serializes writes; reads may come from any thread.
 */
final class RevisionCountingStore<T extends HasMetadata> implements ItemStore<T> {

  private final ConcurrentMap<String, T> items = new ConcurrentHashMap<>();
  private final AtomicLong revision;

  RevisionCountingStore(AtomicLong revision) {
    this.revision = revision;
  }

  @Override
  public String getKey(T item) {
    return Cache.metaNamespaceKeyFunc(item);
  }

  @Override
  public T put(String key, T item) {
    T previous = items.put(key, item);
    revision.incrementAndGet();
    return previous;
  }

  @Override
  public T remove(String key) {
    T removed = items.remove(key);
    if (removed != null) {
      revision.incrementAndGet();
    }
    return removed;
  }

  @Override
  public Stream<String> keySet() {
    return items.keySet().stream();
  }

  @Override
  public Stream<T> values() {
    return items.values().stream();
  }

  @Override
  public int size() {
    return items.size();
  }

  @Override
  public T get(String key) {
    return items.get(key);
  }
}
