package dev.gpudra.core.allocator;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Counter;
import io.fabric8.kubernetes.api.model.resource.v1.CounterSet;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceClassBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCounterConsumption;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSelector;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSelectorBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSubRequest;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceTaint;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceToleration;
import io.fabric8.kubernetes.api.model.resource.v1.ExactDeviceRequest;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small builders for allocator inputs, shared by the unit tests and the conformance test. */
final class Fixtures {
  static final String DRIVER = "gpu.gpudra.dev";

  private Fixtures() {}

  static Node node(String name, String... labels) {
    Map<String, String> l = new LinkedHashMap<>();
    for (int i = 0; i + 1 < labels.length; i += 2) {
      l.put(labels[i], labels[i + 1]);
    }
    return new NodeBuilder().withNewMetadata().withName(name).withLabels(l).endMetadata().build();
  }

  static ResourceSlice nodeSlice(String name, String node, String pool, Device... devices) {
    return slice(name, pool, 1, 1, devices).editSpec().withNodeName(node).endSpec().build();
  }

  static ResourceSliceBuilder slice(
      String name, String pool, long generation, long count, Device... devices) {
    return new ResourceSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withDriver(DRIVER)
        .withNewPool()
        .withName(pool)
        .withGeneration(generation)
        .withResourceSliceCount(count)
        .endPool()
        .withDevices(Arrays.asList(devices))
        .endSpec();
  }

  static ResourceSlice counterSlice(
      String name, String node, String pool, long count, CounterSet set) {
    return slice(name, pool, 1, count)
        .editSpec()
        .withNodeName(node)
        .withSharedCounters(set)
        .endSpec()
        .build();
  }

  static CounterSet counterSet(String name, String... counters) {
    Map<String, Counter> c = new LinkedHashMap<>();
    for (int i = 0; i + 1 < counters.length; i += 2) {
      c.put(counters[i], counter(counters[i + 1]));
    }
    CounterSet set = new CounterSet();
    set.setName(name);
    set.setCounters(c);
    return set;
  }

  static Counter counter(String value) {
    Counter counter = new Counter();
    counter.setValue(new Quantity(value));
    return counter;
  }

  static DeviceCounterConsumption consumes(String set, String... counters) {
    Map<String, Counter> c = new LinkedHashMap<>();
    for (int i = 0; i + 1 < counters.length; i += 2) {
      c.put(counters[i], counter(counters[i + 1]));
    }
    DeviceCounterConsumption consumption = new DeviceCounterConsumption();
    consumption.setCounterSet(set);
    consumption.setCounters(c);
    return consumption;
  }

  /** A device; attributes as name/value pairs (String, Long, Boolean, or "v:1.2.3" versions). */
  static Device device(String name, Object... attributes) {
    Device d = new Device();
    d.setName(name);
    Map<String, DeviceAttribute> attrs = new LinkedHashMap<>();
    Map<String, DeviceCapacity> caps = new LinkedHashMap<>();
    for (int i = 0; i + 1 < attributes.length; i += 2) {
      String key = (String) attributes[i];
      Object v = attributes[i + 1];
      if (v instanceof Quantity q) {
        DeviceCapacity c = new DeviceCapacity();
        c.setValue(q);
        caps.put(key, c);
        continue;
      }
      DeviceAttribute a = new DeviceAttribute();
      switch (v) {
        case Long l -> a.setInt(l);
        case Integer n -> a.setInt(n.longValue());
        case Boolean b -> a.setBool(b);
        case String s when s.startsWith("v:") -> a.setVersion(s.substring(2));
        case String s -> a.setString(s);
        default -> throw new IllegalArgumentException("attribute value " + v);
      }
      attrs.put(key, a);
    }
    d.setAttributes(attrs);
    d.setCapacity(caps);
    return d;
  }

  static DeviceTaint taint(String key, String value, String effect) {
    DeviceTaint t = new DeviceTaint();
    t.setKey(key);
    t.setValue(value);
    t.setEffect(effect);
    return t;
  }

  static DeviceToleration toleration(String key, String operator, String value, String effect) {
    DeviceToleration t = new DeviceToleration();
    t.setKey(key);
    t.setOperator(operator);
    t.setValue(value);
    t.setEffect(effect);
    return t;
  }

  static DeviceClass deviceClass(String name, String... selectors) {
    return new DeviceClassBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withSelectors(selectors(selectors))
        .endSpec()
        .build();
  }

  static List<DeviceSelector> selectors(String... expressions) {
    List<DeviceSelector> out = new ArrayList<>();
    for (String e : expressions) {
      out.add(new DeviceSelectorBuilder().withNewCel().withExpression(e).endCel().build());
    }
    return out;
  }

  static DeviceRequest exactly(String name, String className, long count, String... selectors) {
    ExactDeviceRequest e = new ExactDeviceRequest();
    e.setDeviceClassName(className);
    e.setAllocationMode("ExactCount");
    e.setCount(count);
    e.setSelectors(selectors(selectors));
    DeviceRequest r = new DeviceRequest();
    r.setName(name);
    r.setExactly(e);
    return r;
  }

  static DeviceRequest all(String name, String className, String... selectors) {
    DeviceRequest r = exactly(name, className, 0, selectors);
    r.getExactly().setAllocationMode("All");
    r.getExactly().setCount(null);
    return r;
  }

  static DeviceSubRequest sub(String name, String className, long count, String... selectors) {
    DeviceSubRequest s = new DeviceSubRequest();
    s.setName(name);
    s.setDeviceClassName(className);
    s.setAllocationMode("ExactCount");
    s.setCount(count);
    s.setSelectors(selectors(selectors));
    return s;
  }

  static DeviceRequest firstAvailable(String name, DeviceSubRequest... subs) {
    DeviceRequest r = new DeviceRequest();
    r.setName(name);
    r.setFirstAvailable(new ArrayList<>(Arrays.asList(subs)));
    return r;
  }

  static ResourceClaimBuilder claim(String name, DeviceRequest... requests) {
    return new ResourceClaimBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .withUid("uid-" + name)
        .endMetadata()
        .withNewSpec()
        .withNewDevices()
        .withRequests(Arrays.asList(requests))
        .endDevices()
        .endSpec();
  }

  /** A claim that already holds the given devices of {@link #DRIVER}, as pool/device pairs. */
  static ResourceClaim holding(String name, String... poolDevicePairs) {
    ResourceClaimBuilder b = claim(name);
    var status = b.withNewStatus().withNewAllocation().withNewDevices();
    for (int i = 0; i + 1 < poolDevicePairs.length; i += 2) {
      status =
          status
              .addNewResult()
              .withRequest("r")
              .withDriver(DRIVER)
              .withPool(poolDevicePairs[i])
              .withDevice(poolDevicePairs[i + 1])
              .endResult();
    }
    return status.endDevices().endAllocation().endStatus().build();
  }
}
