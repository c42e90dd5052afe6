/**
 * The mock NVML library this kit carries ({@link dev.gpudra.testkit.nvml.MockNvmlFiles}, {@link
 * dev.gpudra.testkit.nvml.MockNvml}), the Java model of its profiles ({@link
 * dev.gpudra.testkit.nvml.MockProfile}) and the sysfs tree a profile implies ({@link
 * dev.gpudra.testkit.nvml.FakeSysfs}).
 */
package dev.gpudra.testkit.nvml;
