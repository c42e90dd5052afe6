package dev.gpudra.e2e.realnode;

import dev.gpudra.e2e.cluster.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The container processes of one node and the cgroups containerd made for them. containerd puts
 * every container of every node below {@code /k8s.io/<id>} in each hierarchy (a kubelet without QoS
 * cgroups gives it no parent of its own), so a node's containers are found through its containerd
 * shims instead: each container's processes descend from its shim, which runs in the node's mount
 * namespace. Teardown kills exactly those processes by PID and removes exactly their cgroups, then
 * the shared {@code /k8s.io} where no other node's container is left in it.
 */
final class ContainerCgroups {

  private static final Path ROOT = Path.of("/sys/fs/cgroup");
  private static final Duration GONE = Duration.ofSeconds(30);

  private ContainerCgroups() {}

  /**
   * Kills {@code processes} (SIGKILL), waits until they are gone and removes the cgroups they were
   * in; returns those cgroups (paths relative to each hierarchy), for checks.
   */
  static List<String> killAndRemove(List<ProcessHandle> processes) {
    TreeSet<String> cgroups = new TreeSet<>(Comparator.reverseOrder()); // deepest first
    for (ProcessHandle process : processes) {
      cgroups.addAll(cgroupsOf(process.pid()));
    }
    processes.forEach(ProcessHandle::destroyForcibly);
    Poll.until(
        "container processes gone",
        GONE,
        Duration.ofMillis(100),
        () -> processes.stream().filter(ProcessHandle::isAlive).toList(),
        List::isEmpty);
    List<String> removed = new ArrayList<>(cgroups);
    cgroups.add("/k8s.io");
    for (Path hierarchy : hierarchies()) {
      for (String cgroup : cgroups) {
        try {
          Files.deleteIfExists(hierarchy.resolve(cgroup.substring(1))); // rmdir
        } catch (IOException e) {
          // busy: another node's container still lives in /k8s.io
        }
      }
    }
    return removed;
  }

  /** Which of {@code cgroups} still exist in some hierarchy. */
  static List<String> existing(List<String> cgroups) {
    List<String> left = new ArrayList<>();
    for (Path hierarchy : hierarchies()) {
      for (String cgroup : cgroups) {
        Path dir = hierarchy.resolve(cgroup.substring(1));
        if (Files.isDirectory(dir)) {
          left.add(dir.toString());
        }
      }
    }
    return left;
  }

  /** The cgroup paths of a process ({@code /proc/<pid>/cgroup}), the root left out. */
  private static List<String> cgroupsOf(long pid) {
    try {
      return Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup")).stream()
          .map(line -> line.substring(line.indexOf(':', line.indexOf(':') + 1) + 1))
          .filter(path -> path.startsWith("/") && path.length() > 1)
          .distinct()
          .toList();
    } catch (IOException e) {
      return List.of(); // gone already
    }
  }

  private static List<Path> hierarchies() {
    if (Files.exists(ROOT.resolve("cgroup.procs"))) {
      return List.of(ROOT); // cgroup v2 only
    }
    try (Stream<Path> entries = Files.list(ROOT)) {
      return entries
          .filter(h -> !Files.isSymbolicLink(h) && Files.exists(h.resolve("cgroup.procs")))
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
