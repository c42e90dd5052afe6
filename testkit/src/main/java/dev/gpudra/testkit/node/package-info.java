/**
 * A GPU node in a temporary directory: its files ({@link dev.gpudra.testkit.node.FakeNode}, {@link
 * dev.gpudra.testkit.node.FakeDriverRoot}), the plugin as a process on it ({@link
 * dev.gpudra.testkit.node.PluginProcess}), its MIG state, and claims as the scheduler leaves them.
 */
package dev.gpudra.testkit.node;
