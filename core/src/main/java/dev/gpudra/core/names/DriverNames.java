package dev.gpudra.core.names;

/**
 * The names this driver is known by in the cluster, in one place: the DRA driver name, the opaque
 * configuration API version, the CDI vendor and class, and the DeviceClasses the chart installs.
 *
 * <p>Every component reads them from here so that the plugin's socket directory, the slices it
 * publishes, the configurations it accepts and the claims the controller counts can never name two
 * different drivers. The chart's {@code deviceclasses.yaml} must spell the same class names.
 */
public final class DriverNames {

  /** The DRA driver name: slices, allocation results and opaque configs carry it. */
  public static final String DRIVER = "gpu.gpudra.dev";

  /** The only {@code apiVersion} of opaque device configuration understood. */
  public static final String CONFIG_API_VERSION = DRIVER + "/v1";

  /** CDI vendor of the specs the plugin writes. */
  public static final String CDI_VENDOR = "k8s." + DRIVER;

  /** CDI class of the specs the plugin writes. */
  public static final String CDI_CLASS = "claim";

  /** DeviceClass selecting full GPUs. */
  public static final String GPU_DEVICE_CLASS = DRIVER;

  /** DeviceClass selecting MIG devices. */
  public static final String MIG_DEVICE_CLASS = "mig.gpudra.dev";

  private DriverNames() {}
}
