package dev.gpudra.core.device.nvml;

/** {@code nvmlGpuInstancePlacement_t}: first memory slice and slice count. */
public record RawPlacement(int start, int size) {}
