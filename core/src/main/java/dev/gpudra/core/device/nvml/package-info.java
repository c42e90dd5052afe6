/**
 * NVML's answers as plain values, and the pure mapping from them to the device model.
 *
 * <p>The JNA binding copies native structures into these records field by field and does nothing
 * else; every decision about names, units and formats lives in {@link
 * dev.gpudra.core.device.nvml.NvmlInventoryMapper}, where fixture tests pin it without a GPU.
 */
package dev.gpudra.core.device.nvml;
