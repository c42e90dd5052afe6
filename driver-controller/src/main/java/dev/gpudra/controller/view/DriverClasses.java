package dev.gpudra.controller.view;

import io.fabric8.kubernetes.api.model.resource.v1.DeviceClass;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceSelector;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Which DeviceClasses select a driver's devices. */
public final class DriverClasses {

  private DriverClasses() {}

  /**
   * Names of the classes whose CEL selectors name {@code driver} as a string literal: the shipped
   * classes, and classes admins write for this driver's devices.
   */
  public static Set<String> selecting(List<DeviceClass> classes, String driver) {
    Set<String> names = new HashSet<>();
    for (DeviceClass deviceClass : classes) {
      if (deviceClass.getSpec() == null) {
        continue;
      }
      for (DeviceSelector selector : deviceClass.getSpec().getSelectors()) {
        if (selector.getCel() != null
            && selector.getCel().getExpression() != null
            && selector.getCel().getExpression().contains('"' + driver + '"')) {
          names.add(deviceClass.getMetadata().getName());
        }
      }
    }
    return names;
  }
}
