/**
 * The cluster the controller's tests build in fabric8's mock API server: {@link
 * dev.gpudra.testkit.cluster.ClusterFixtures} and a {@link
 * dev.gpudra.testkit.cluster.MovableClock}.
 */
package dev.gpudra.testkit.cluster;
