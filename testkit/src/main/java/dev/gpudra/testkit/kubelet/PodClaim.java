package dev.gpudra.testkit.kubelet;

/**
 * A claim of a pod as the kubelet passes it to the plugin.
 *
 * @param namespace claim namespace
 * @param uid claim UID
 * @param name claim name
 */
public record PodClaim(String namespace, String uid, String name) {}
