/**
 * GPU sharing on the node: what the {@code TimeSlicing} (and later MPS) strategies change on a GPU
 * at prepare and restore at unprepare, through the driver's own tools run from the driver root.
 *
 * <p>Settings here belong to a GPU, not to a claim: they are recorded per device in the checkpoint
 * before the GPU is touched and restored only when no other claim's record holds the GPU.
 */
package dev.gpudra.plugin.sharing;
