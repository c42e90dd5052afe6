/**
 * The shared test kit. Every module except {@code core} and {@code proto} uses it in test scope; no
 * shipped class may import it (ArchUnit rules in each shipped module).
 */
package dev.gpudra.testkit;
