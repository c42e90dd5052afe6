package dev.gpudra.e2e.scale;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JvmProbeTest {

  /** The head of what {@code jcmd <pid> VM.native_memory summary} prints on Java 25. */
  private static final String SUMMARY =
      """
      15568:

      Native Memory Tracking:

      (Omitting categories weighting less than 1KB)

      Total: reserved=7590754KB, committed=426590KB
             malloc: 6442KB #45113, peak=12449KB #45028
             mmap:   reserved=7584312KB, committed=420148KB

      -                 Java Heap (reserved=6172672KB, committed=387072KB)
                                  (mmap: reserved=6172672KB, committed=387072KB, at peak)

      -                     Class (reserved=1048761KB, committed=1401KB)
                                  (classes #2815)
                                  (  instance classes #2519, array classes #296)
                                  (    reserved=65536KB, committed=8256KB)

      -                    Thread (reserved=13357KB, committed=885KB)
                                  (threads #13)
                                  (stack: reserved=13312KB, committed=840KB, peak=840KB)

      -    Native Memory Tracking (reserved=805KB, committed=805KB)
                                  (tracking overhead=793KB)

      -        Shared class space (reserved=16384KB, committed=13908KB, readonly=0KB)
      """;

  @Test
  void readsTheCommittedMemoryOfEveryCategoryAndTheCountsOfClassesAndThreads() {
    Map<String, Long> parsed = JvmProbe.parseNativeMemory(SUMMARY);

    assertThat(List.copyOf(parsed.keySet()))
        .containsExactly(
            "Java Heap",
            "Class",
            "#classes",
            "Thread",
            "#threads",
            "Native Memory Tracking",
            "Shared class space");
    assertThat(parsed)
        .containsEntry("Java Heap", 387072L * 1024)
        .containsEntry("Class", 1401L * 1024)
        .containsEntry("#classes", 2815L)
        .containsEntry("Thread", 885L * 1024)
        .containsEntry("#threads", 13L)
        .containsEntry("Native Memory Tracking", 805L * 1024)
        .containsEntry("Shared class space", 13908L * 1024);
  }

  @Test
  void aJvmWithoutTrackingHasNoCategories() {
    assertThat(JvmProbe.parseNativeMemory("15935:\nNative memory tracking is not enabled\n"))
        .isEmpty();
  }
}
