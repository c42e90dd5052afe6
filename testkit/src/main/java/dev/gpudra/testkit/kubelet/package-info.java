/**
 * The kubelet's side of the plugin's sockets, for tests: plugin registration, the DRA calls and the
 * health stream over unix domain sockets, and checks of the CDI specs a prepare leaves.
 */
package dev.gpudra.testkit.kubelet;
